"""Render core events as the contract's messages, straight to compact UTF-8 JSON.

Building a dict per message and encoding it was most of ``order-replay``'s time. Here
each message is one f-string over texts already in JSON form, encoded once; the bytes
are exactly orjson's for the dict the contract describes (keys in the same order, no
spaces, non-ASCII as UTF-8):

- order ids, symbols, sides, prices, times, event names and the book's own reason codes
  and details need no escaping: validation allows nothing in ids and symbols that JSON
  escapes (``engine.parsing``), and the rest are the engine's own texts;
- user ids (any Unicode but control characters: quotes and backslashes are allowed) and
  echoed client timestamps go through orjson itself, user ids cached per text;
- a client timestamp beyond 64 bits, which orjson cannot write, sends the whole message
  through ``encode_json``'s fallback, as encoding the dict would have.

The rejections of malformed messages echo whatever the message held, so they are still
dicts encoded by ``encode_json``, where any escaping rule applies; the book's own
rejections (duplicate, unknown order, not owner) hold checked fields and are rendered
like order events.
"""

import json
from typing import Any, Final

import orjson

from engine.caches import keep
from engine.clock import Micros, format_iso, iso_json
from engine.commands import BUY, FOK, GTC, IOC, SELL
from engine.events import AMENDED, REJECTED, OrderEvent, Trade
from engine.orders import Level, Order
from engine.prices import PriceTexts
from engine.rejections import Rejection

Value = dict[str, Any]
_CACHED: Final = 1 << 14
_I64_MIN: Final = -(1 << 63)  # the integers orjson writes: _I64_MIN .. _U64_MAX
_U64_MAX: Final = (1 << 64) - 1

_FALLBACK: Final = json.JSONEncoder(separators=(",", ":")).encode
_orjson_dumps: Final = orjson.dumps  # compiled, a C static instead of a module attribute


def encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON, as every output travels (orjson; json for ints beyond 64 bits)."""
    try:
        return _orjson_dumps(value)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, echoed from a message
        return _FALLBACK(value).encode()


def decode_json(data: bytes | str) -> Any:
    """A JSON message read back exactly (integers of any size); for tests and tools."""
    return json.loads(data)


_TEXTS: Final[dict[str | None, str]] = {}


def json_text(text: str | None) -> str:
    """``text``'s JSON string literal, as orjson writes it; None -> ``null``.

    Kept for the texts that repeat (user ids, reason codes, details) in a plain dict,
    emptied when it reaches ``_CACHED`` texts: compiled, a lookup in a dict subclass with
    ``__missing__`` costs twice as much.
    """
    literal = _TEXTS.get(text)
    if literal is None:
        literal = keep(_TEXTS, text, "null" if text is None else _orjson_dumps(text).decode(),
                       _CACHED)
    return literal


class SymbolJson:
    """A symbol's texts as its outputs write them, made once per book.

    ``name`` is the symbol's JSON string, ``trade_id`` a trade id's JSON up to its
    number; the ``*_price`` texts run from a comma to ``"price":`` so that an order event
    or a trade joins one piece for several fields. Prices' JSON strings (``"189.25"``)
    are kept per tick count, bounded like ``json_text``'s.
    """

    __slots__ = ("buy_price", "literals", "name", "sell_price", "texts", "trade_id",
                 "trade_price")

    def __init__(self, symbol: str, texts: PriceTexts) -> None:
        self.name = name = _orjson_dumps(symbol).decode()
        self.trade_id = f"{name[:-1]}-"
        self.buy_price = f',"symbol":{name},"side":"{BUY}","price":'
        self.sell_price = f',"symbol":{name},"side":"{SELL}","price":'
        self.trade_price = f',"symbol":{name},"price":'
        self.texts = texts
        self.literals: dict[int, str] = {}

    def price(self, ticks: int | None) -> str:
        """The price of ``ticks`` as a JSON string; None -> ``null``."""
        if ticks is None:
            return "null"
        literal = self.literals.get(ticks)
        if literal is None:
            literal = keep(self.literals, ticks, f'"{self.texts[ticks]}"', _CACHED)
        return literal


def trade_json(trade: Trade, symbol: SymbolJson, ts: str) -> bytes:
    """A ``trades`` message (``ts`` is the time's JSON)."""
    buy: Order  # typed for the compiled build: its attributes are then read directly
    sell: Order
    _, seq, price, quantity, buy, sell, aggressor_side = trade
    seq_text = str(seq)  # written twice
    return (f'{{"trade_id":{symbol.trade_id}{seq_text}","seq":{seq_text}{symbol.trade_price}'
            f'{symbol.price(price)},"quantity":{_int_json(quantity)},"buy_order_id":"'
            f'{buy.order_id}","sell_order_id":"{sell.order_id}","buy_user_id":'
            f'{json_text(buy.user_id)},"sell_user_id":{json_text(sell.user_id)}'
            f'{_BUY_AGGRESSOR if aggressor_side == BUY else _SELL_AGGRESSOR}{ts}}}').encode()


_BUY_AGGRESSOR: Final = f',"aggressor_side":"{BUY}","ts":'
_SELL_AGGRESSOR: Final = f',"aggressor_side":"{SELL}","ts":'


def order_event_json(event: OrderEvent, symbol: SymbolJson, now: Micros, ts: str) -> bytes:
    """An ``order-events`` message for an order the book knows.

    Beyond the contract's fields it carries what the Cassandra records need and only the
    book knows: the order's ``tif``, its time-priority stamp ``priority_seq``, when it was
    accepted, and for ``amended`` the price and stamp it had before (its old book key).
    ``ts`` is ``now``'s JSON. Most events have no reason and a GTC order: their pieces
    are constants.
    """
    order: Order = event[1]  # typed for the compiled build, as in ``trade_json``
    name: str = event[0]  # typed, so the compiled comparison below is a string one
    reason, detail = event[5], event[6]
    timestamp, accepted = order.timestamp, order.accepted
    tif = _GTC_SEQ
    if isinstance(accepted, tuple):  # an IOC or FOK order (``Order.accepted``)
        tif, accepted = _TIF_SEQ[accepted[0]], accepted[1]
    text = (f'{{"event":"{name}","order_id":"{order.order_id}","user_id":'
            f'{json_text(order.user_id)}'
            f'{symbol.buy_price if order.side == BUY else symbol.sell_price}'
            f'{symbol.price(order.price)},"quantity":{_int_json(event[2])},"filled_quantity":'
            f'{_int_json(event[3])},"remaining_quantity":{_int_json(event[4])}'
            f'{_NO_REASON if reason is None and not detail else _reason_json(reason, detail)}'
            f'{"null" if timestamp is None else _client_json(timestamp)},"ts":{ts}{tif}'
            f'{order.arrival},"accepted_ts":'
            f'{ts if accepted == now else _accepted_json(accepted)}'
            f'{"}" if name != AMENDED else _amended_json(event[7], symbol)}')
    return _encoded(text, timestamp)


# Constant pieces of an order event: no reason; from ``ts`` to ``priority_seq``, per tif.
_NO_REASON: Final = ',"reason":null,"detail":"","timestamp":'
_TIF_SEQ: Final = {tif: f',"tif":"{tif}","priority_seq":' for tif in (GTC, IOC, FOK)}
_GTC_SEQ: Final = _TIF_SEQ[GTC]


def _reason_json(reason: str | None, detail: str) -> str:
    return f',"reason":{json_text(reason)},"detail":{json_text(detail)},"timestamp":'


def book_rejection_json(rejection: Rejection, symbol: SymbolJson, now: Micros, ts: str
                        ) -> bytes:
    """The ``rejected`` event of a command the book refused (duplicate, unknown, not owner).

    Every field the book fills is its own or passed validation, so only the user id and
    the client timestamp need escaping, as in ``order_event_json``; the bytes are those of
    ``encode_json(rejection_value(rejection))``; ``ts`` is ``now``'s JSON.
    """
    side, price, quantity, timestamp = (rejection.side, rejection.price, rejection.quantity,
                                        rejection.timestamp)
    text = (f'{{"event":"rejected","order_id":"{rejection.order_id}","user_id":'
            f'{json_text(rejection.user_id)},"symbol":{symbol.name},"side":'
            f'{"null" if side is None else _quoted(side)},"price":'
            f'{"null" if price is None else _quoted(price)},"quantity":'
            f'{"null" if quantity is None else _int_json(quantity)},"filled_quantity":0,'
            f'"remaining_quantity":0,"reason":"{rejection.reason}","detail":'
            f'"{rejection.detail}","timestamp":'
            f'{"null" if timestamp is None else _client_json(timestamp)},"ts":'
            f'{ts if rejection.ts == now else iso_json(rejection.ts)},"tif":null,'
            f'"priority_seq":null,"accepted_ts":null}}')
    return _encoded(text, timestamp)


def _quoted(text: str) -> str:
    return f'"{text}"'


def _encoded(text: str, timestamp: object) -> bytes:
    """``text`` as bytes, the same as encoding the message's dict gives.

    With an integer ``timestamp`` beyond 64 bits, which orjson cannot write, encoding the
    dict takes ``encode_json``'s fallback, so the text is decoded and encoded that way.
    """
    if type(timestamp) is int and not _I64_MIN <= timestamp <= _U64_MAX:
        return encode_json(decode_json(text))
    return text.encode()


_SMALL_INTS: Final = tuple(str(n) for n in range(1 << 10))


def _int_json(number: int) -> str:
    """A quantity's text: most are small, and a table lookup costs less than ``str``."""
    return _SMALL_INTS[number] if 0 <= number < 1 << 10 else str(number)


def _accepted_json(accepted: Micros | None) -> str:
    return "null" if accepted is None else iso_json(accepted)


def _amended_json(before: tuple[int, int], symbol: SymbolJson) -> str:
    """The end of an ``amended`` event: the price and stamp the order had before."""
    price, arrival = before
    return f',"previous_price":{symbol.price(price)},"previous_priority_seq":{arrival}}}'


def _client_json(timestamp: str | int) -> str:
    """An echoed client timestamp (a cleaned string or an integer) as JSON."""
    return _orjson_dumps(timestamp).decode() if type(timestamp) is str else str(timestamp)


def rejection_value(rejection: Rejection) -> Value:
    """A ``rejected`` order event, with what could be read of the message."""
    return {
        "event": REJECTED,
        "order_id": rejection.order_id,
        "user_id": rejection.user_id,
        "symbol": rejection.symbol,
        "side": rejection.side,
        "price": rejection.price,
        "quantity": rejection.quantity,
        "filled_quantity": 0,
        "remaining_quantity": 0,
        "reason": rejection.reason,
        "detail": rejection.detail,
        "timestamp": rejection.timestamp,
        "ts": format_iso(rejection.ts),
        "tif": None,
        "priority_seq": None,
        "accepted_ts": None,
    }


def last_trade_json(last: tuple[int, int, int, Micros] | None, symbol: SymbolJson) -> str:
    """The ``last_trade`` part of a market-data snapshot, from a ``LastTrade``'s fields."""
    if last is None:
        return "null"
    seq, price, quantity, ts = last
    seq_text = str(seq)
    return (f'{{"trade_id":{symbol.trade_id}{seq_text}","seq":{seq_text},"price":'
            f'{symbol.price(price)},"quantity":{quantity},"ts":{iso_json(ts)}}}')


def depth_json(levels: list[Level], symbol: SymbolJson) -> tuple[str, str]:
    """(``[[price, total], ...]``, the first pair or ``null``) of levels given best first.

    A level's pair is rendered again only when its total changed since the last time.
    """
    if not levels:
        return "[]", "null"
    pairs = [level.json if level.json_total == level.total else _level_json(level, symbol)
             for level in levels]
    return f"[{','.join(pairs)}]", pairs[0]


def _level_json(level: Level, symbol: SymbolJson) -> str:
    """Render a level's pair anew and keep it with the total it shows."""
    text = level.json = f"[{symbol.price(level.price)},{level.total}]"
    level.json_total = level.total
    return text

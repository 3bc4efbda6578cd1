"""The stateless half of the engine: raw ``orders`` message -> Command or Rejection.

Checks run in the contract's order (JSON object, action, order_id, user_id,
symbol, side, type, tif, price, quantity) and the first failure names the
reason. JSON numbers are read as ``Decimal`` and never as floats; a number the
decimal type cannot hold (``1e9999999999999999999``) is read as ``NaN`` (JSON
itself has no NaN), so it fails the check of whichever field holds it instead
of the decoding. Anything at all (garbage bytes included) gives a result;
nothing here raises.

Decoding tries ``orjson`` first, four times faster than ``json``: its result
is the exact one unless a top-level value is a float (orjson reads fractions,
exponents and integers beyond 64 bits as floats). Only top-level values are
ever inspected, so such a message, and anything orjson refuses (bad UTF-8,
lone surrogates, too deep), is decoded again by the exact ``json`` decoder,
which also words the rejection.
"""

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import orjson

from engine.caches import keep
from engine.clock import Micros
from engine.commands import (
    BUY,
    FOK,
    GTC,
    IOC,
    LIMIT,
    MARKET,
    SELL,
    AmendOrder,
    CancelOrder,
    ClientTimestamp,
    Command,
    NewOrder,
)
from engine.config import EngineConfig, SymbolSpec
from engine.prices import to_ticks
from engine.rejections import (
    BAD_PRICE,
    BAD_QUANTITY,
    BAD_SIDE,
    BAD_SYMBOL,
    BAD_TIF,
    BAD_TYPE,
    INVALID_FIELD,
    INVALID_JSON,
    OFF_LOT,
    UNKNOWN_ACTION,
    Refused,
    Rejection,
)

MAX_QUANTITY: Final = 1_000_000_000
_ORDER_ID: Final = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_SYMBOL: Final = re.compile(r"[A-Z][A-Z0-9.]{0,11}")
# Any Unicode but control characters (category Cc) and lone surrogates (paired ones
# are single code points once decoded): emoji, no-break spaces and joiners are fine.
_USER_ID: Final = re.compile(r"[^\x00-\x1f\x7f-\x9f\ud800-\udfff]{1,64}")
_SURROGATE: Final = re.compile(r"[\ud800-\udfff]")
_LONGEST_INT_TEXT: Final = 100
# tuple[str, ...] keeps each a tuple object when compiled (a fixed-length tuple is kept
# unboxed, and built anew for every call that takes it).
_ACTIONS: Final[tuple[str, ...]] = ("new", "cancel", "amend")
_SIDES: Final[tuple[str, ...]] = (BUY, SELL)
_TYPES: Final[tuple[str, ...]] = (LIMIT, MARKET)
_TIFS: Final[tuple[str, ...]] = (GTC, IOC, FOK)
_DEFAULT_CONFIG: Final = EngineConfig()

Message = dict[str, Any]


def parse_command(raw: bytes | str, *, topic: str, partition: int, offset: int, now: Micros,
                  config: EngineConfig = _DEFAULT_CONFIG) -> Command | Rejection:
    """Decode and validate one ``orders`` message.

    ``topic``/``partition``/``offset`` name the message so that an order
    without ``order_id`` gets the deterministic id ``TOPIC-PARTITION-OFFSET``;
    ``now`` stamps a rejection.
    """
    message: Message = {}
    try:
        message = _legacy_to_current(_decode(raw))
        return _command(message, topic, partition, offset, config)
    except Refused as refused:
        return _rejection(refused, message, f"{topic}-{partition}-{offset}", now)


def _decode(raw: bytes | str) -> Message:
    try:
        value = _orjson_loads(raw)
    except orjson.JSONDecodeError:
        return _decode_exactly(raw)
    if type(value) is not dict:
        return _decode_exactly(raw)
    for item in value.values():  # a compiled loop: cheaper than any builtin-based test
        if type(item) is float:
            return _decode_exactly(raw)
    return value


_orjson_loads: Final = orjson.loads  # compiled, a C static instead of a module attribute


def _decode_exactly(raw: bytes | str) -> Message:
    """Decode with every number exact (``Decimal``), and word why a message is refused."""
    try:
        text = raw if isinstance(raw, str) else bytes(raw).decode("utf-8")
        value = _DECODER.decode(text)
    except UnicodeDecodeError as error:
        raise Refused(INVALID_JSON, "message is not UTF-8") from error
    except (ValueError, RecursionError, TypeError) as error:
        raise Refused(INVALID_JSON, "message is not valid JSON") from error
    if not isinstance(value, dict):
        raise Refused(INVALID_JSON, "message is not a JSON object")
    return value


def _parse_int(text: str) -> int | Decimal:
    """Read a JSON integer; absurdly long ones stay Decimal (and fail as quantities)."""
    return int(text) if len(text) <= _LONGEST_INT_TEXT else Decimal(text)


_UNREPRESENTABLE: Final = Decimal("NaN")


def _parse_float(text: str) -> Decimal:
    """Read a JSON fraction or exponent number exactly; NaN when its exponent is out of range."""
    try:
        return Decimal(text)
    except InvalidOperation:
        return _UNREPRESENTABLE


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


# One decoder for every message: ``json.loads`` with hooks would build a new one each call.
_DECODER: Final = json.JSONDecoder(parse_float=_parse_float, parse_int=_parse_int,
                            parse_constant=_refuse_constant)


_LEGACY_FIELDS: Final = {"stock_id": "symbol", "order_type": "side"}


def _legacy_to_current(message: Message) -> Message:
    """Map the original application's shape (stock_id, order_type, market_order).

    A message is in that shape when one of those fields is there and not null.
    A field of the current shape that is absent or null takes the legacy one's
    value; ``market_order`` is checked where ``type`` is (``_order_type``).
    """
    if "stock_id" not in message and "order_type" not in message \
            and "market_order" not in message:  # the current shape: the common case first
        return message
    get = message.get
    if get("stock_id") is None and get("order_type") is None and get("market_order") is None:
        return message
    mapped = dict(message)
    for legacy, current in _LEGACY_FIELDS.items():
        if mapped.get(current) is None:
            mapped[current] = message.get(legacy)
    flag = message.get("market_order")
    if mapped.get("type") is None and isinstance(flag, bool):
        mapped["type"] = MARKET if flag else LIMIT
    for name in ("order_id", "user_id"):
        value = mapped.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            mapped[name] = str(value)
    return mapped


def _command(message: Message, topic: str, partition: int, offset: int,
             config: EngineConfig) -> Command:
    # Optional fields' defaults are applied here, without a call; ``message.get`` is a
    # direct dict lookup when compiled (a bound ``get`` would be a Python-level call).
    action = message.get("action")
    action = "new" if action is None else _choice(action, "action", _ACTIONS, UNKNOWN_ACTION)
    order_id = message.get("order_id")
    if order_id is None and action == "new":
        order_id = f"{topic}-{partition}-{offset}"
    elif not (isinstance(order_id, str) and _valid_order_id(order_id)):
        raise Refused(INVALID_FIELD, "order_id must be 1-64 characters of A-Z a-z 0-9 _ . : -")
    user_id = _user_id(message)
    symbol = _symbol(message)
    spec = config.spec_for(symbol)
    timestamp = message.get("timestamp")
    if timestamp is not None:
        timestamp = _client_timestamp(timestamp)
    if action == "cancel":
        return CancelOrder(order_id, user_id, symbol, timestamp)
    price = message.get("price")
    if action == "amend":
        price = None if price is None else to_ticks(price, spec.tick)
        return AmendOrder(order_id, user_id, symbol, _quantity(message, spec), price, timestamp)
    side = _choice(message.get("side"), "side", _SIDES, BAD_SIDE)
    kind = (LIMIT if message.get("type") is None and message.get("market_order") is None
            else _order_type(message))
    tif = message.get("tif")
    tif = GTC if tif is None else _choice(tif, "tif", _TIFS, BAD_TIF, upper=True)
    if kind != LIMIT:
        price = None
    elif price is None:
        raise Refused(BAD_PRICE, "a limit order needs a price")
    else:
        price = to_ticks(price, spec.tick)
    return NewOrder(order_id, user_id, symbol, side, kind, tif, price, _quantity(message, spec),
                    timestamp)


def _valid_order_id(order_id: str) -> bool:
    """Does ``order_id`` match ``_ORDER_ID``?

    Ids are new with each order, so none is kept; the common all-letters-and-digits id is
    told by two string methods, a fraction of the regular expression's cost.
    """
    if len(order_id) <= 64 and order_id.isascii() and order_id.isalnum():
        return True
    return _ORDER_ID.fullmatch(order_id) is not None


def _choice(value: object, name: str, choices: tuple[str, ...], reason: str,
            upper: bool = False) -> str:
    """A case-insensitive enumerated field's value (the caller applies a default for None).

    ``choices`` are in their canonical case, lower unless ``upper``. The value as written
    is tried first: most clients write the canonical case. A tuple, not a dict: a
    decoded string's hash is not computed yet, and costs more than a few comparisons
    (written as a loop: compiled, ``in`` on a tuple is a generic, slower call).
    """
    if isinstance(value, str):
        for choice in choices:
            if value == choice:
                return choice
        folded = value.upper() if upper else value.lower()
        if folded in choices:
            return folded
    raise Refused(reason, f"{name} must be one of {', '.join(choices)}")


def _order_type(message: Message) -> str:
    """``type``, or the original shape's ``market_order``, which must be a boolean."""
    flag = message.get("market_order")
    if flag is not None and not isinstance(flag, bool):
        raise Refused(INVALID_FIELD, "market_order must be true or false")
    value = message.get("type")
    return LIMIT if value is None else _choice(value, "type", _TYPES, BAD_TYPE)


def _user_id(message: Message) -> str:
    """``user_id``, checked against ``_USER_ID``.

    The common id of letters and digits passes on ``isalnum()`` (no control character or
    surrogate is a letter or digit): cheaper than hashing the fresh string for a lookup.
    """
    value = message.get("user_id")
    if isinstance(value, str):
        if (len(value) <= 64 and value.isalnum()) or value in _CHECKED_USER_IDS:
            return value
        if _USER_ID.fullmatch(value):
            keep(_CHECKED_USER_IDS, value, value, _CHECKED_KEPT)
            return value
    raise Refused(INVALID_FIELD, "user_id must be 1-64 characters, none of them a control "
                                 "character or a lone surrogate")


def _symbol(message: Message) -> str:
    value = message.get("symbol")
    if isinstance(value, str):
        symbol = _CHECKED_SYMBOLS.get(value)
        if symbol is not None:
            return symbol
        symbol = value.upper()
        if _SYMBOL.fullmatch(symbol):
            keep(_CHECKED_SYMBOLS, value, symbol, _CHECKED_KEPT)
            return symbol
    raise Refused(BAD_SYMBOL, "symbol must match ^[A-Z][A-Z0-9.]{0,11}$")


# Texts that passed their check -> the field's value: user ids and symbols repeat, and a
# dict lookup costs a fraction of the regular expression. Each keeps at most _CHECKED_KEPT.
_CHECKED_USER_IDS: Final[dict[str, str]] = {}
_CHECKED_SYMBOLS: Final[dict[str, str]] = {}
_CHECKED_KEPT: Final = 1 << 12


def _quantity(message: Message, spec: SymbolSpec) -> int:
    value = message.get("quantity")
    if type(value) is not int or not 0 < value <= MAX_QUANTITY:
        raise Refused(BAD_QUANTITY, f"quantity must be an integer from 1 to {MAX_QUANTITY}")
    if value % spec.lot:
        raise Refused(OFF_LOT, f"quantity must be a multiple of the lot size {spec.lot}")
    return value


def _client_timestamp(value: object) -> ClientTimestamp:
    """The client's own time, echoed as given (a non-integer number as its string)."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value.is_finite():
        return str(value)
    return None


def _rejection(refused: Refused, message: Message, default_id: str, now: Micros) -> Rejection:
    """A rejection carrying whatever could be read of the message."""
    order_id = message.get("order_id")
    if order_id is None:
        order_id = default_id
    symbol, side, price, quantity = (message.get(name) for name in
                                     ("symbol", "side", "price", "quantity"))
    return Rejection(
        refused.reason,
        refused.detail,
        _text(order_id),
        _text(message.get("user_id")),
        _clean(symbol.upper()) if isinstance(symbol, str) else None,
        _clean(side.lower()) if isinstance(side, str) else None,
        _price_text(price),
        quantity if type(quantity) is int else None,
        _client_timestamp(message.get("timestamp")),
        now,
    )


def _clean(text: str) -> str:
    """``text`` with each lone surrogate, which UTF-8 cannot encode, replaced by U+FFFD.

    Echoed text goes into outputs (and keys) that must be valid UTF-8 JSON.
    """
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def _text(value: object) -> str | None:
    return _clean(value) if isinstance(value, str) else None


def _price_text(value: object) -> str | None:
    """A rejected message's price as text, when it was a string or a finite number."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        return None
    return str(value) if Decimal(value).is_finite() else None

"""What the engine publishes: (topic, key, value) triples in publishing order."""

import json
from typing import Any, NamedTuple

import orjson

from engine.book import ApplyResult, OrderBook
from engine.clock import Micros, format_iso
from engine.events import TRADE
from engine.rejections import Rejection
from engine.render import order_event_value, rejection_value, trade_value

TRADES = "trades"
ORDER_EVENTS = "order-events"
MARKET_DATA = "market-data"
TOPICS = (TRADES, ORDER_EVENTS, MARKET_DATA)


class Output(NamedTuple):
    """One message to publish; ``key`` is the symbol (None if none could be read)."""

    topic: str
    key: str | None
    value: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The ``order-replay`` line form."""
        return {"topic": self.topic, "key": self.key, "value": self.value}


_FALLBACK = json.JSONEncoder(separators=(",", ":")).encode


def encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON, as every output travels (orjson; json for ints beyond 64 bits)."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, echoed from a message
        return _FALLBACK(value).encode()


_new_tuple = tuple.__new__  # builds an Output without the Python-level NamedTuple.__new__


def rejection_output(rejection: Rejection) -> Output:
    """The ``rejected`` order event of a refused message."""
    return _new_tuple(Output, (ORDER_EVENTS, rejection.symbol, rejection_value(rejection)))


def result_outputs(book: OrderBook, result: ApplyResult, now: Micros) -> list[Output]:
    """Render a command's events, then a market-data snapshot if the book changed."""
    symbol, format_price, ts = book.symbol, book.format_price, format_iso(now)
    outputs = []
    for event in result.events:
        if isinstance(event, Rejection):
            outputs.append(rejection_output(event))
        elif event[0] == TRADE:
            outputs.append(_new_tuple(Output, (
                TRADES, symbol, trade_value(event, symbol, format_price, ts))))
        else:
            outputs.append(_new_tuple(Output, (
                ORDER_EVENTS, symbol, order_event_value(event, symbol, format_price, ts))))
    if result.changed:
        outputs.append(_new_tuple(Output, (MARKET_DATA, symbol, book.snapshot(now))))
    return outputs

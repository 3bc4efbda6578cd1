"""What the engine publishes: (topic, key, value) triples in publishing order."""

from dataclasses import dataclass
from typing import Any, Final

from engine.book import ApplyResult, OrderBook
from engine.clock import Micros, iso_json
from engine.events import TRADE
from engine.rejections import Rejection
from engine.render import (
    book_rejection_json,
    decode_json,
    encode_json,
    order_event_json,
    rejection_value,
    trade_json,
)

TRADES: Final = "trades"
ORDER_EVENTS: Final = "order-events"
MARKET_DATA: Final = "market-data"
TOPICS: Final = (TRADES, ORDER_EVENTS, MARKET_DATA)

__all__ = ["MARKET_DATA", "ORDER_EVENTS", "TOPICS", "TRADES", "Output", "encode_json",
           "rejection_output", "result_outputs"]


@dataclass(slots=True, init=False)
class Output:
    """One message to publish; ``key`` is the symbol (None if none could be read).

    ``json`` is the value exactly as it is published: compact UTF-8 JSON. A class with
    an ``__init__`` of its own rather than a named tuple: compiled, it is built and
    freed natively (a tuple subclass goes through ``tuple.__new__``, several times the
    cost, and an output is made for every message).
    """

    topic: str
    key: str | None
    json: bytes

    def __init__(self, topic: str, key: str | None, json: bytes) -> None:
        self.topic, self.key, self.json = topic, key, json

    @property
    def value(self) -> dict[str, Any]:
        """The value decoded, for tests and tools (the publishing path sends ``json``)."""
        value: dict[str, Any] = decode_json(self.json)
        return value

    def to_dict(self) -> dict[str, Any]:
        """The ``order-replay`` line form."""
        return {"topic": self.topic, "key": self.key, "value": self.value}


def rejection_output(rejection: Rejection) -> Output:
    """The ``rejected`` order event of a refused message."""
    return Output(ORDER_EVENTS, rejection.symbol, encode_json(rejection_value(rejection)))


def result_outputs(book: OrderBook, result: ApplyResult, now: Micros) -> list[Output]:
    """Render a command's events, then a market-data snapshot if the book changed."""
    symbol, texts, ts = book.symbol, book.symbol_json, iso_json(now)
    outputs = []
    for event in result.events:
        if isinstance(event, Rejection):
            outputs.append(Output(ORDER_EVENTS, symbol, book_rejection_json(event, texts, now, ts)))
            continue
        kind: str = event[0]  # typed, so the compiled comparison is a string one
        if kind == TRADE:
            outputs.append(Output(TRADES, symbol, trade_json(event, texts, ts)))
        else:
            outputs.append(Output(ORDER_EVENTS, symbol, order_event_json(event, texts, now, ts)))
    if result.changed:
        outputs.append(Output(MARKET_DATA, symbol, book.market_data_json(ts)))
    return outputs

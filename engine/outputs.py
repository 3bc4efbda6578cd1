"""What the engine publishes: (topic, key, value) triples in publishing order."""

from typing import Any, Final, NamedTuple

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


class Output(NamedTuple):
    """One message to publish; ``key`` is the symbol (None if none could be read).

    ``json`` is the value exactly as it is published: compact UTF-8 JSON.
    """

    topic: str
    key: str | None
    json: bytes

    @property
    def value(self) -> dict[str, Any]:
        """The value decoded, for tests and tools (the publishing path sends ``json``)."""
        value: dict[str, Any] = decode_json(self.json)
        return value

    def to_dict(self) -> dict[str, Any]:
        """The ``order-replay`` line form."""
        return {"topic": self.topic, "key": self.key, "value": self.value}


_new_tuple: Final = tuple.__new__  # builds an Output without the Python-level NamedTuple.__new__


def rejection_output(rejection: Rejection) -> Output:
    """The ``rejected`` order event of a refused message."""
    return _new_tuple(Output, (ORDER_EVENTS, rejection.symbol,
                               encode_json(rejection_value(rejection))))


def result_outputs(book: OrderBook, result: ApplyResult, now: Micros) -> list[Output]:
    """Render a command's events, then a market-data snapshot if the book changed."""
    symbol, symbol_json, prices, ts = book.symbol, book.symbol_json, book.price_json, iso_json(now)
    outputs = []
    for event in result.events:
        if isinstance(event, Rejection):
            outputs.append(_new_tuple(Output, (ORDER_EVENTS, symbol, book_rejection_json(
                event, symbol_json, now, ts))))
        elif event[0] == TRADE:
            outputs.append(_new_tuple(Output, (TRADES, symbol, trade_json(
                event, symbol_json, book.trade_id_json, prices, ts))))
        else:
            outputs.append(_new_tuple(Output, (ORDER_EVENTS, symbol, order_event_json(
                event, symbol_json, prices, now, ts))))
    if result.changed:
        outputs.append(_new_tuple(Output, (MARKET_DATA, symbol, book.market_data_json(ts))))
    return outputs

"""One committed output in, the Cassandra row writes it implies out (pure, no I/O).

The sink is stateless: each trade and order event carries everything its rows need (the
engine adds the order's `tif`, its priority stamp `priority_seq`, `accepted_ts`, and on
`amended` the book key it left), so an event maps to its writes alone, in any order.

Arrival order does not matter because every write carries a deterministic timestamp
(`USING TIMESTAMP`) derived from the event's position: all rows of an order are written
from one partition of `order-events` (it is keyed by symbol), where a later offset is a
later state, and Cassandra keeps the cell with the highest timestamp whatever the order
the writes land in. A retried or replayed write of the same event rewrites the same cells.

Rejections write their `completed_orders` row in a lower timestamp band, so a rejected
message can never overwrite the record of a real order with the same id and symbol.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, NamedTuple

from engine.commands import GTC, LIMIT, MARKET
from engine.events import (
    ACCEPTED,
    AMENDED,
    CANCELLED,
    EXPIRED,
    FILLED,
    PARTIALLY_FILLED,
    REJECTED,
)
from engine.rejections import DUPLICATE_ORDER_ID, NOT_OWNER, UNKNOWN_ORDER

#: Write timestamps of real order states and trades: BASE + offset (microseconds).
#: Rejections use the bare offset, a band always below every real state.
TIMESTAMP_BASE = 1 << 50
#: Refusals of a command naming an order in use: the order they name is not theirs to record.
REFUSED_COMMANDS = frozenset({DUPLICATE_ORDER_ID, UNKNOWN_ORDER, NOT_OWNER})
#: Longer ids come only from garbage messages and cannot be a Cassandra key.
MAX_KEY_CHARS = 1024
_INT64 = 1 << 63

# Statement names: `records.writer` prepares one CQL statement per name.
UPSERT_ACTIVE = "upsert_active"
DELETE_ACTIVE = "delete_active"
INSERT_COMPLETED = "insert_completed"
INSERT_TRADE = "insert_trade"

_RESTING_EVENTS = frozenset({ACCEPTED, PARTIALLY_FILLED, AMENDED})
_FINAL_EVENTS = frozenset({FILLED, CANCELLED, EXPIRED})


class Position(NamedTuple):
    """Where an output sits in Kafka: the source of its write timestamp."""

    topic: str
    partition: int
    offset: int


class Write(NamedTuple):
    """One row write: which prepared statement, its Cassandra partition, its values.

    `values` end with the write timestamp, the statements' last bind marker.
    """

    statement: str
    partition: tuple[str, ...]
    values: tuple[Any, ...]


def trade_writes(trade: dict[str, Any], position: Position) -> list[Write]:
    """A trade is one immutable `order_history` row."""
    symbol = trade["symbol"]
    return [Write(INSERT_TRADE, ("order_history", symbol), (
        symbol, trade["seq"], trade["trade_id"], Decimal(trade["price"]), trade["quantity"],
        trade["buy_order_id"], trade["sell_order_id"], trade["buy_user_id"],
        trade["sell_user_id"], trade["aggressor_side"], _time(trade["ts"]), trade["ts"],
        TIMESTAMP_BASE + position.offset))]


def order_event_writes(event: dict[str, Any], position: Position) -> list[Write]:
    """The `active_orders` and `completed_orders` writes of one order event."""
    name = event["event"]
    if name == REJECTED:
        return _rejection_writes(event, position)
    timestamp = TIMESTAMP_BASE + position.offset
    # Only GTC limit orders rest; an IOC, FOK or market order never has an active row.
    rests = event["tif"] == GTC and event["price"] is not None
    writes = []
    if name == AMENDED and rests and _moved(event):
        writes.append(_delete_active(event, event["previous_price"],
                                     event["previous_priority_seq"], timestamp))
    if name in _RESTING_EVENTS and rests:
        writes.append(_upsert_active(event, timestamp))
    elif name in _FINAL_EVENTS:
        if rests:
            writes.append(_delete_active(event, event["price"], event["priority_seq"],
                                         timestamp))
        writes.append(_completed(event, name, timestamp))
    return writes


def price_key(side: str, price: Decimal) -> Decimal:
    """Ascending `price_key` is best first on both sides: bids are stored negated."""
    return -price if side == "buy" else price


def _moved(event: dict[str, Any]) -> bool:
    return event["previous_priority_seq"] != event["priority_seq"]


def _upsert_active(event: dict[str, Any], timestamp: int) -> Write:
    symbol, side, price = event["symbol"], event["side"], Decimal(event["price"])
    return Write(UPSERT_ACTIVE, ("active_orders", symbol), (
        symbol, side, price_key(side, price), event["priority_seq"], event["order_id"],
        event["user_id"], LIMIT, event["tif"], price, event["quantity"],
        event["filled_quantity"], event["remaining_quantity"], _text(event["timestamp"]),
        _time(event["accepted_ts"]), _time(event["ts"]), timestamp))


def _delete_active(event: dict[str, Any], price: str, priority_seq: int,
                   timestamp: int) -> Write:
    symbol, side = event["symbol"], event["side"]
    return Write(DELETE_ACTIVE, ("active_orders", symbol), (
        timestamp, symbol, side, price_key(side, Decimal(price)), priority_seq,
        event["order_id"]))


def _completed(event: dict[str, Any], status: str, timestamp: int) -> Write:
    """The final record; `remaining_quantity` is what was left when it completed."""
    quantity, filled, price = event["quantity"], event["filled_quantity"], event["price"]
    left = 0 if status == FILLED else quantity - filled
    order_type = MARKET if price is None else LIMIT
    return _completed_write(event, event["symbol"], order_type, _decimal(price), quantity,
                            filled, left, status, _time(event["accepted_ts"]), timestamp)


def _rejection_writes(event: dict[str, Any], position: Position) -> list[Write]:
    """A message refused by validation is a rejected order, recorded with what was read.

    Refusals of a command that named an order in use (a duplicate id, a cancel or amend of
    an unknown or another user's order) are not orders: they stay on `order-events` only.
    """
    order_id, symbol = event["order_id"], event["symbol"] or ""
    if (event["reason"] in REFUSED_COMMANDS or not order_id
            or max(len(order_id), len(symbol)) > MAX_KEY_CHARS):
        return []
    quantity = event["quantity"]
    if not isinstance(quantity, int) or isinstance(quantity, bool) or abs(quantity) >= _INT64:
        quantity = None
    return [_completed_write(event, symbol, None, _decimal(event["price"]),
                             quantity, 0, 0, REJECTED, _time(event["ts"]), position.offset)]


def _completed_write(event: dict[str, Any], symbol: str, order_type: str | None,
                     price: Decimal | None, quantity: int | None, filled: int, left: int,
                     status: str, created_at: datetime | None, timestamp: int) -> Write:
    order_id = event["order_id"]
    return Write(INSERT_COMPLETED, ("completed_orders", order_id), (
        order_id, symbol, event["user_id"], event["side"], order_type, event["tif"], price,
        quantity, filled, left, status, event["reason"], event["detail"],
        _text(event["timestamp"]), created_at, _time(event["ts"]), timestamp))


def _decimal(text: Any) -> Decimal | None:
    """A price as CQL decimal; None for a missing or unreadable one (rejections echo text)."""
    if not isinstance(text, str):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _text(value: Any) -> str | None:
    """The client's optional `timestamp`, a string or a number, kept as text."""
    return None if value is None else str(value)


@lru_cache(maxsize=4096)
def _time(iso: str | None) -> datetime | None:
    """Engine ISO time as a datetime (the outputs of one command share one time)."""
    return None if iso is None else datetime.fromisoformat(iso)

"""The book as changelog rows: one JSON-able row per resting order plus metadata.

A Faust table (or any key-value store) persists these rows; ``OrderBook``
rebuilds an identical book from them. Time priority survives because each row
carries the order's per-symbol ``arrival`` number, never a wall-clock time.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from engine.clock import Micros
from engine.orders import Order
from engine.prices import to_ticks

Row = dict[str, Any]


class LastTrade(NamedTuple):
    """The latest trade of a symbol, for market data."""

    seq: int
    price: int
    quantity: int
    ts: Micros


@dataclass(slots=True)
class BookRows:
    """Everything needed to rebuild one symbol's book."""

    orders: list[Row] = field(default_factory=list)
    seen: dict[str, Micros] = field(default_factory=dict)
    meta: Row = field(default_factory=dict)


@dataclass(slots=True)
class StateDelta:
    """What one command changed: rows to upsert or delete and the new metadata.

    ``seen`` are order ids newly entered into the dedup window (id -> accepted
    time) and ``forgotten`` those that left it.
    """

    upserted: dict[str, Row]
    deleted: list[str]
    seen: dict[str, Micros]
    forgotten: list[str]
    meta: Row


def order_row(order: Order, format_price) -> Row:
    """The persisted form of a resting order."""
    return {
        "order_id": order.order_id,
        "user_id": order.user_id,
        "side": order.side,
        "price": format_price(order.price),
        "quantity": order.quantity,
        "remaining": order.remaining,
        "arrival": order.arrival,
        "timestamp": order.timestamp,
        "accepted_at": order.accepted_at,
    }


def order_from_row(row: Row, tick: Decimal) -> Order:
    """Read back a row written by ``order_row``."""
    return Order(row["order_id"], row["user_id"], row["side"], to_ticks(row["price"], tick),
                 row["quantity"], row["remaining"], row["arrival"], row.get("timestamp"),
                 accepted_at=row.get("accepted_at"))


def meta_row(trade_seq: int, arrival_seq: int, book_seq: int,
             last_trade: LastTrade | None) -> Row:
    """The small per-symbol metadata (sequences and the last trade)."""
    return {
        "trade_seq": trade_seq,
        "arrival_seq": arrival_seq,
        "book_seq": book_seq,
        "last_trade": None if last_trade is None else last_trade._asdict(),
    }


def last_trade_from_meta(meta: Row) -> LastTrade | None:
    """Read back the last trade stored by ``meta_row``."""
    last = meta.get("last_trade")
    return None if last is None else LastTrade(**last)

"""What only the worker that owns a symbol's partition knows: its book, its orders' state.

Read, never written. The depth comes from the matcher's live book when its partition is
loaded, else from a throw-away rebuild of the partition's committed rows (in a thread, like
the matcher's own), so a read never loads or changes the matcher's books. Order rows and
symbols are read from the tables, which hold only committed rows (`app.staged_state`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from agents.matcher import store
from app.faust_app import app
from engine import OrderBook, wall_clock
from tables.books import BookStore, book_meta, book_orders, book_seen, row_key


def symbols() -> list[str]:
    """The symbols of this worker's active partitions (every symbol that had a command)."""
    return sorted(book_meta.keys())


def partition_of(symbol: str) -> int:
    """The partition of the symbol's commands and rows, as `table_route` finds it."""
    changelog = book_meta.changelog_topic.get_topic_name()
    return app.producer.key_partition(changelog, symbol.encode()).partition


async def book(symbol: str) -> OrderBook | None:
    partition = partition_of(symbol)
    loaded = store.partitions.get(partition)
    if loaded is None:
        loaded = await asyncio.to_thread(BookStore().rebuild, partition)
    return loaded.books.get(symbol)


async def depth(symbol: str) -> dict[str, Any] | None:
    """The `market-data` snapshot of the book as it is now (its `seq` orders snapshots)."""
    found = await book(symbol)
    return None if found is None else found.snapshot(wall_clock())


def order_state(symbol: str, order_id: str) -> dict[str, Any] | None:
    """A resting order's row, or `{"status": "done"}` for one accepted but gone from the book.

    What became of an order that left the book is the sink's to tell (Cassandra).
    """
    key = row_key(symbol, order_id)
    row = book_orders.get(key)
    if row is not None:
        return {"status": "open", "symbol": symbol, **row}
    if book_seen.get(key) is not None:
        return {"status": "done", "symbol": symbol, "order_id": order_id}
    return None

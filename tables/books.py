"""Each symbol's order book, kept as changelog-backed RocksDB rows.

The pure core's state rows map onto three Faust tables, written by the matcher agent while
it handles a command:

- `book-orders`: `SYMBOL/ORDER_ID` -> the resting order's row (with its arrival number),
- `book-seen`: `SYMBOL/ORDER_ID` -> when the id was accepted (the duplicate-id window),
- `book-meta`: `SYMBOL` -> trade, arrival and book sequences and the last trade.

Rows are keyed by symbol and the matcher reads a topic keyed by symbol, so every row of a
symbol lives in that symbol's partition and is restored with it. A command's rows are
staged in its transaction; the commit sends each changed row's last value to the
changelog and only then writes RocksDB (`app.staged_state`), so the store never holds a
row that could be rolled back. Rows are compact JSON (orjson), which Faust's own codec
reads in its recovery.
The changelogs are compacted: a restore reads each live row once, not its history.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import orjson

from app import settings
from app.exactly_once import staged_rows
from app.faust_app import app
from engine import OrderBook, StateDelta
from engine.rows import Row

log = logging.getLogger(__name__)


def _table(name: str, help: str) -> Any:
    """A compacted RocksDB table of rows in Faust's default JSON."""
    return app.Table(name, key_type=str, help=help,
                     extra_topic_configs=settings.CHANGELOG_TOPIC_CONFIG)


book_orders = _table("book-orders", "Resting orders by SYMBOL/ORDER_ID")
book_seen = _table("book-seen", "Accepted order ids within the dedup window, by SYMBOL/ORDER_ID")
book_meta = _table("book-meta", "Per-symbol sequences and last trade")


def row_key(symbol: str, order_id: str) -> str:
    """`/` is in neither alphabet, so the key splits back unambiguously."""
    return f"{symbol}/{order_id}"


def committed_rows(table: Any, partition: int) -> Iterator[tuple[str, Any]]:
    """The committed rows of one partition of a table, straight from its RocksDB.

    Keys and values are JSON; orjson reads them ten times faster than
    Faust's codec registry, which matters for a million rows.
    """
    store = table.data
    for key, value in store._db_for_partition(partition).items():
        if key != store.offset_key:
            yield orjson.loads(key), orjson.loads(value)


class PartitionBooks:
    """The books of one partition, and the metadata last written for each symbol."""

    def __init__(self, books: dict[str, OrderBook], metas: dict[str, Row]) -> None:
        self.books = books
        self.saved_meta = metas


class BookStore:
    """The live books of this worker's partitions: a cache of the committed tables.

    `forget` drops a partition's books (after a rebalance or a rollback); its next command
    rebuilds them from the committed rows, in a thread so the event loop keeps serving
    heartbeats, other partitions and the web server meanwhile.
    """

    def __init__(self) -> None:
        self.config = settings.engine_config()
        self.partitions: dict[int, PartitionBooks] = {}

    def forget(self, partition: int | None = None) -> None:
        if partition is None:
            self.partitions.clear()
        else:
            self.partitions.pop(partition, None)

    async def books_of(self, partition: int) -> PartitionBooks:
        books = self.partitions.get(partition)
        if books is None:
            books = self.partitions[partition] = await asyncio.to_thread(self.rebuild,
                                                                         partition)
        return books

    async def book(self, partition: int, symbol: str) -> OrderBook:
        books = (await self.books_of(partition)).books
        book = books.get(symbol)
        if book is None:
            config = self.config
            book = books[symbol] = OrderBook(symbol, config.spec_for(symbol),
                                             config.dedup_window, config.dedup_ids)
        return book

    def save(self, partition: int, symbol: str, delta: StateDelta) -> None:
        """Stage one command's changed rows in its transaction: its commit sends them to
        the changelogs and then writes them to RocksDB."""
        orders = staged_rows(book_orders.data, partition)
        for order_id, row in delta.upserted.items():
            orders[row_key(symbol, order_id)] = row
        for order_id in delta.deleted:
            orders[row_key(symbol, order_id)] = None
        if delta.seen or delta.forgotten:
            seen = staged_rows(book_seen.data, partition)
            for order_id, accepted_at in delta.seen.items():
                seen[row_key(symbol, order_id)] = accepted_at
            for order_id in delta.forgotten:
                seen[row_key(symbol, order_id)] = None
        saved = self.partitions[partition].saved_meta
        if saved.get(symbol) != delta.meta:
            saved[symbol] = delta.meta
            staged_rows(book_meta.data, partition)[symbol] = delta.meta

    def rebuild(self, partition: int) -> PartitionBooks:
        """Every book of a partition from its committed rows."""
        orders: dict[str, list[Row]] = defaultdict(list)
        seen: dict[str, dict[str, int]] = defaultdict(dict)
        for key, row in committed_rows(book_orders, partition):
            orders[key.split("/", 1)[0]].append(row)
        for key, accepted_at in committed_rows(book_seen, partition):
            symbol, order_id = key.split("/", 1)
            seen[symbol][order_id] = accepted_at
        metas = dict(committed_rows(book_meta, partition))
        books = {symbol: OrderBook.from_rows(symbol, orders[symbol], seen[symbol], meta,
                                             spec=self.config.spec_for(symbol),
                                             dedup_window=self.config.dedup_window,
                                             dedup_ids=self.config.dedup_ids)
                 for symbol, meta in metas.items()}
        log.info("partition %d: rebuilt %d books with %d resting orders from the store",
                 partition, len(books), sum(len(rows) for rows in orders.values()))
        return PartitionBooks(books, metas)


"""Each symbol's order book, kept as changelog-backed RocksDB rows.

The pure core's state rows map onto three Faust tables, all updated by the matcher agent
while it handles a command, so with exactly-once processing the rows, the changelog and the
published outputs commit together:

- `book-orders`: `SYMBOL/ORDER_ID` -> the resting order's row (with its arrival number),
- `book-seen`: `SYMBOL/ORDER_ID` -> when the id was accepted (the duplicate-id window),
- `book-meta`: `SYMBOL` -> trade, arrival and book sequences and the last trade.

Rows are keyed by symbol, and the matcher reads a topic keyed by symbol, so every row of a
symbol lives in that symbol's partition and is restored with it after a crash.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from app import settings
from app.faust_app import app
from engine import OrderBook, StateDelta
from engine.rows import Row

log = logging.getLogger(__name__)

book_orders = app.Table("book-orders", key_type=str,
                        help="Resting orders by SYMBOL/ORDER_ID")
book_seen = app.Table("book-seen", key_type=str,
                      help="Accepted order ids within the dedup window, by SYMBOL/ORDER_ID")
book_meta = app.Table("book-meta", key_type=str,
                      help="Per-symbol sequences and last trade")


def row_key(symbol: str, order_id: str) -> str:
    """`/` is in neither alphabet, so the key splits back unambiguously."""
    return f"{symbol}/{order_id}"


class BookStore:
    """The live books of this worker's partitions, rebuilt from the tables when needed.

    The in-memory books are a cache of the tables: `forget()` drops them (after a rebalance
    or a failure) and the next command rebuilds every book from its rows in one pass.
    """

    def __init__(self) -> None:
        self.config = settings.engine_config()
        self.books: dict[str, OrderBook] | None = None

    def forget(self) -> None:
        self.books = None

    def book(self, symbol: str) -> OrderBook:
        if self.books is None:
            self.books = self._rebuild_all()
        book = self.books.get(symbol)
        if book is None:
            book = self.books[symbol] = self._new_book(symbol, [], {}, None)
        return book

    def save(self, symbol: str, delta: StateDelta) -> None:
        """Write one command's changes to the tables (and so to their changelogs)."""
        for order_id, row in delta.upserted.items():
            book_orders[row_key(symbol, order_id)] = row
        for order_id in delta.deleted:
            book_orders.pop(row_key(symbol, order_id), None)
        for order_id, accepted_at in delta.seen.items():
            book_seen[row_key(symbol, order_id)] = accepted_at
        for order_id in delta.forgotten:
            book_seen.pop(row_key(symbol, order_id), None)
        book_meta[symbol] = delta.meta

    def _rebuild_all(self) -> dict[str, OrderBook]:
        orders: dict[str, list[Row]] = defaultdict(list)
        seen: dict[str, dict[str, int]] = defaultdict(dict)
        for key, row in book_orders.items():
            orders[key.split("/", 1)[0]].append(row)
        for key, accepted_at in book_seen.items():
            symbol, order_id = key.split("/", 1)
            seen[symbol][order_id] = accepted_at
        books = {symbol: self._new_book(symbol, orders[symbol], seen[symbol], meta)
                 for symbol, meta in book_meta.items()}
        log.info("rebuilt %d books with %d resting orders from the tables",
                 len(books), sum(len(rows) for rows in orders.values()))
        return books

    def _new_book(self, symbol: str, orders: list[Row], seen: dict[str, int],
                  meta: Row | None) -> OrderBook:
        spec, window = self.config.spec_for(symbol), self.config.dedup_window
        if meta is None:
            return OrderBook(symbol, spec, window)
        return OrderBook.from_rows(symbol, orders, seen, meta, spec=spec, dedup_window=window)

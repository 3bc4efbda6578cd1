"""The questions the three tables are shaped for, as async calls (for the web page, tests).

Each method runs the query a person would type in `cqlsh` (the README shows them) and
returns plain dicts, column name -> value, with CQL types as the driver gives them: prices
`Decimal`, times `datetime` (UTC). Function names are a stable API.

    reader = RecordReader(session, "matching")
    bids_then_asks = await reader.book("AAPL")
"""

from __future__ import annotations

from typing import Any

from cassandra.cluster import Session

from records.aio import execute

Row = dict[str, Any]
DEFAULT_TRADES = 50


class RecordReader:
    """Prepared read queries over `active_orders`, `completed_orders` and `order_history`."""

    def __init__(self, session: Session, keyspace: str) -> None:
        self.session = session
        queries = {
            "book": "SELECT * FROM {ks}.active_orders WHERE symbol = ?",
            "book_side": "SELECT * FROM {ks}.active_orders WHERE symbol = ? AND side = ?",
            "open_orders": "SELECT * FROM {ks}.active_orders WHERE user_id = ?",
            "open_orders_in": ("SELECT * FROM {ks}.active_orders WHERE symbol = ? "
                               "AND user_id = ?"),
            "completed_orders": "SELECT * FROM {ks}.completed_orders WHERE user_id = ?",
            "order": "SELECT * FROM {ks}.completed_orders WHERE order_id = ?",
            "order_in": ("SELECT * FROM {ks}.completed_orders WHERE order_id = ? "
                         "AND symbol = ?"),
            "latest_trades": "SELECT * FROM {ks}.order_history WHERE symbol = ? LIMIT ?",
            "trades_before": ("SELECT * FROM {ks}.order_history WHERE symbol = ? AND seq < ? "
                              "LIMIT ?"),
            "buy_fills": ("SELECT * FROM {ks}.order_history WHERE symbol = ? "
                          "AND buy_order_id = ?"),
            "sell_fills": ("SELECT * FROM {ks}.order_history WHERE symbol = ? "
                           "AND sell_order_id = ?"),
        }
        self._prepared = {name: session.prepare(cql.format(ks=keyspace))
                          for name, cql in queries.items()}

    async def book(self, symbol: str, side: str | None = None) -> list[Row]:
        """A symbol's resting orders in book order: bids best first, then asks best first.

        Within a price, oldest first (`priority_seq`). `side` ('buy' or 'sell') reads one.
        """
        if side is None:
            return await self._rows("book", symbol)
        return await self._rows("book_side", symbol, side)

    async def open_orders(self, user_id: str, symbol: str | None = None) -> list[Row]:
        """A user's resting orders (per symbol in book order when `symbol` is given)."""
        if symbol is None:
            return await self._rows("open_orders", user_id)
        return await self._rows("open_orders_in", symbol, user_id)

    async def completed_orders(self, user_id: str, symbol: str | None = None) -> list[Row]:
        """A user's finished and rejected orders, newest completion first."""
        rows = await self._rows("completed_orders", user_id)
        if symbol is not None:
            rows = [row for row in rows if row["symbol"] == symbol]
        return sorted(rows, key=lambda row: row["completed_at"], reverse=True)

    async def order(self, order_id: str, symbol: str | None = None) -> list[Row]:
        """The completed record of an order id (one per symbol that used the id)."""
        if symbol is None:
            return await self._rows("order", order_id)
        return await self._rows("order_in", order_id, symbol)

    async def latest_trades(self, symbol: str, limit: int = DEFAULT_TRADES,
                            before_seq: int | None = None) -> list[Row]:
        """A symbol's trades, newest first; `before_seq` pages back from a trade sequence."""
        if before_seq is None:
            return await self._rows("latest_trades", symbol, limit)
        return await self._rows("trades_before", symbol, before_seq, limit)

    async def order_fills(self, symbol: str, order_id: str) -> list[Row]:
        """Every trade of one order, on either side, oldest first."""
        buys = await self._rows("buy_fills", symbol, order_id)
        sells = await self._rows("sell_fills", symbol, order_id)
        return sorted(buys + sells, key=lambda row: row["seq"])

    async def _rows(self, query: str, *values: Any) -> list[Row]:
        return [row._asdict() for row in await execute(self.session, self._prepared[query],
                                                       values)]

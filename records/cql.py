"""The CQL the sink writes with, one prepared statement per `records.rows` statement name.

Every statement ends with its write timestamp's bind marker (`USING TIMESTAMP ?` comes
first in a DELETE's text, so there the timestamp is the first value; `records.rows` orders
each write's values the same way).
"""

from __future__ import annotations

from records.rows import DELETE_ACTIVE, INSERT_COMPLETED, INSERT_TRADE, UPSERT_ACTIVE

_ACTIVE = ("symbol", "side", "price_key", "priority_seq", "order_id", "user_id", "order_type",
           "tif", "price", "quantity", "filled_quantity", "remaining_quantity",
           "client_timestamp", "created_at", "updated_at")
_COMPLETED = ("order_id", "symbol", "user_id", "side", "order_type", "tif", "price",
              "quantity", "filled_quantity", "remaining_quantity", "status", "reason",
              "detail", "client_timestamp", "created_at", "completed_at")
_HISTORY = ("symbol", "seq", "trade_id", "price", "quantity", "buy_order_id", "sell_order_id",
            "buy_user_id", "sell_user_id", "aggressor_side", "ts", "ts_text")


def _insert(keyspace: str, table: str, columns: tuple[str, ...]) -> str:
    markers = ", ".join("?" * len(columns))
    return (f"INSERT INTO {keyspace}.{table} ({', '.join(columns)}) VALUES ({markers}) "
            "USING TIMESTAMP ?")


def write_statements(keyspace: str) -> dict[str, str]:
    """Statement name -> CQL text, for the given keyspace."""
    return {
        UPSERT_ACTIVE: _insert(keyspace, "active_orders", _ACTIVE),
        DELETE_ACTIVE: (f"DELETE FROM {keyspace}.active_orders USING TIMESTAMP ? "
                        "WHERE symbol = ? AND side = ? AND price_key = ? AND priority_seq = ? "
                        "AND order_id = ?"),
        INSERT_COMPLETED: _insert(keyspace, "completed_orders", _COMPLETED),
        INSERT_TRADE: _insert(keyspace, "order_history", _HISTORY),
    }

"""The real Cassandra node: CQL answers, the schema applies idempotently and serves its queries.

The tests use their own keyspace (`<keyspace>_test`), so they never touch the engine's data,
and they exercise the keyspace substitution of apply_schema() on the way.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from cassandra.cluster import Session

from services import cassandra
from services.config import Settings

pytestmark = pytest.mark.services


@pytest.fixture
def ks(cassandra_settings: Settings) -> str:
    return cassandra_settings.cassandra_keyspace


@pytest.fixture
def symbol() -> str:
    """A fresh symbol per test, so reruns and other tests never see each other's rows."""
    return "T" + uuid.uuid4().hex[:10].upper()


def test_real_cql_query_answers(cassandra_session: Session, cassandra_settings: Settings) -> None:
    row = cassandra_session.execute("SELECT release_version FROM system.local").one()
    assert row.release_version.startswith("5.0.")
    assert cassandra.is_ready(cassandra_settings)
    assert "ready" in cassandra.status(cassandra_settings)


def test_schema_apply_is_idempotent(
    cassandra_session: Session, cassandra_settings: Settings, ks: str
) -> None:
    cassandra.apply_schema(cassandra_settings)  # second and third time: must not fail
    cassandra.apply_schema(cassandra_settings)
    tables = {
        row.table_name
        for row in cassandra_session.execute(
            "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s", [ks]
        )
    }
    assert tables == {"active_orders", "completed_orders", "order_history"}
    indexes = {
        row.index_name
        for row in cassandra_session.execute(
            "SELECT index_name FROM system_schema.indexes WHERE keyspace_name = %s", [ks]
        )
    }
    assert len(indexes) == 4
    columns = {
        (row.table_name, row.column_name): row.type
        for row in cassandra_session.execute(
            "SELECT table_name, column_name, type FROM system_schema.columns "
            "WHERE keyspace_name = %s",
            [ks],
        )
    }
    price_columns = [key for key in columns if "price" in key[1]]
    assert price_columns and all(columns[key] == "decimal" for key in price_columns)


def test_split_cql_respects_strings_and_comments() -> None:
    script = "-- head; comment\nCREATE x WITH c = 'a;b -- c'; // tail;\nDROP y;"
    assert cassandra.split_cql(script) == ["CREATE x WITH c = 'a;b -- c'", "DROP y"]
    statements = cassandra.schema_statements("other_ks")
    assert statements[0].startswith("CREATE KEYSPACE IF NOT EXISTS other_ks")
    assert all("matching" not in stmt for stmt in statements)


def _rest(sess: Session, ks: str, symbol: str, side: str, price: str, seq: int, oid: str,
          user: str) -> None:
    price_dec = Decimal(price)
    sess.execute(
        f"INSERT INTO {ks}.active_orders (symbol, side, price_key, priority_seq, order_id, "
        "user_id, price, quantity, filled_quantity, remaining_quantity) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, 100, 0, 100)",
        [symbol, side, -price_dec if side == "buy" else price_dec, seq, oid, user, price_dec],
    )


def test_active_orders_read_in_book_order_and_per_user(
    cassandra_session: Session, ks: str, symbol: str
) -> None:
    sess = cassandra_session
    for side, price, seq, oid, user in [
        ("buy", "189.25", 1, "b-low", "alice"),
        ("sell", "189.40", 2, "s-high", "bob"),
        ("buy", "190.00", 3, "b-best-early", "carol"),
        ("sell", "189.30", 4, "s-best", "alice"),
        ("buy", "190.00", 5, "b-best-late", "alice"),
    ]:
        _rest(sess, ks, symbol, side, price, seq, oid, user)
    # A replay writes the same natural key again: still one row.
    _rest(sess, ks, symbol, "buy", "190.00", 5, "b-best-late", "alice")

    book = [
        (row.side, row.price, row.order_id)
        for row in sess.execute(f"SELECT * FROM {ks}.active_orders WHERE symbol = %s", [symbol])
    ]
    assert book == [
        ("buy", Decimal("190.00"), "b-best-early"),  # best bid, earliest first
        ("buy", Decimal("190.00"), "b-best-late"),
        ("buy", Decimal("189.25"), "b-low"),
        ("sell", Decimal("189.30"), "s-best"),  # best ask is the lowest
        ("sell", Decimal("189.40"), "s-high"),
    ]
    alice = {
        row.order_id
        for row in sess.execute(
            f"SELECT order_id FROM {ks}.active_orders WHERE symbol = %s AND user_id = %s",
            [symbol, "alice"],
        )
    }
    assert alice == {"b-low", "s-best", "b-best-late"}
    # Leaving the book: delete by the full key the engine holds.
    sess.execute(
        f"DELETE FROM {ks}.active_orders WHERE symbol = %s AND side = 'sell' "
        "AND price_key = %s AND priority_seq = 4 AND order_id = 's-best'",
        [symbol, Decimal("189.30")],
    )
    best_ask = sess.execute(
        f"SELECT order_id FROM {ks}.active_orders WHERE symbol = %s AND side = 'sell' LIMIT 1",
        [symbol],
    ).one()
    assert best_ask.order_id == "s-high"


def test_completed_orders_by_id_and_user(
    cassandra_session: Session, ks: str, symbol: str
) -> None:
    sess = cassandra_session
    user = f"user-{symbol.lower()}"
    insert = sess.prepare(
        f"INSERT INTO {ks}.completed_orders (order_id, symbol, user_id, side, order_type, "
        "price, quantity, filled_quantity, status, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    sess.execute(insert, [f"{symbol}-1", symbol, user, "buy", "limit", Decimal("0.00000001"),
                          100, 100, "filled", None])
    sess.execute(insert, [f"{symbol}-2", symbol, user, "sell", "market", None, 50, 20,
                          "expired", "no_liquidity"])
    sess.execute(insert, [f"{symbol}-2", symbol, user, "sell", "market", None, 50, 20,
                          "expired", "no_liquidity"])  # replayed: same row

    row = sess.execute(
        f"SELECT * FROM {ks}.completed_orders WHERE order_id = %s", [f"{symbol}-1"]
    ).one()
    assert (row.status, row.price, row.filled_quantity) == ("filled", Decimal("1E-8"), 100)
    mine = sorted(
        (row.order_id, row.status, row.reason)
        for row in sess.execute(
            f"SELECT order_id, status, reason FROM {ks}.completed_orders WHERE user_id = %s",
            [user],
        )
    )
    assert mine == [(f"{symbol}-1", "filled", None), (f"{symbol}-2", "expired", "no_liquidity")]


def test_order_history_newest_first_and_per_order(
    cassandra_session: Session, ks: str, symbol: str
) -> None:
    sess = cassandra_session
    insert = sess.prepare(
        f"INSERT INTO {ks}.order_history (symbol, seq, trade_id, price, quantity, buy_order_id,"
        " sell_order_id, buy_user_id, sell_user_id, aggressor_side) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    trades = [(1, "b1", "s1"), (2, "b2", "s1"), (3, "b2", "s2")]
    for _ in range(2):  # the second pass is a replay: rewrites the same rows
        for seq, buy, sell in trades:
            sess.execute(insert, [symbol, seq, f"{symbol}-{seq}", Decimal("189.25"), 10, buy,
                                  sell, "alice", "bob", "buy"])

    newest = [
        row.trade_id
        for row in sess.execute(f"SELECT trade_id FROM {ks}.order_history WHERE symbol = %s",
                                [symbol])
    ]
    assert newest == [f"{symbol}-3", f"{symbol}-2", f"{symbol}-1"]
    by_sell = [
        row.seq
        for row in sess.execute(
            f"SELECT seq FROM {ks}.order_history WHERE symbol = %s AND sell_order_id = %s",
            [symbol, "s1"],
        )
    ]
    by_buy = [
        row.seq
        for row in sess.execute(
            f"SELECT seq FROM {ks}.order_history WHERE symbol = %s AND buy_order_id = %s",
            [symbol, "b2"],
        )
    ]
    assert (by_sell, by_buy) == ([2, 1], [3, 2])


def test_acknowledged_writes_survive_a_crash(
    cassandra_session: Session, cassandra_settings: Settings, ks: str, symbol: str
) -> None:
    """SIGKILL right after a write: the commit log replays it at the next start."""
    cassandra_session.execute(
        f"INSERT INTO {ks}.order_history (symbol, seq, trade_id, price, quantity) "
        "VALUES (%s, 1, %s, 12.34, 1)",
        [symbol, f"{symbol}-1"],
    )
    cassandra.kill(cassandra_settings)
    assert not cassandra.is_ready(cassandra_settings)
    info = cassandra.start(cassandra_settings)
    assert info["cold_start_s"] > 0 and info["rss_bytes"] > 0
    with cassandra.session(cassandra_settings) as sess:
        row = sess.execute(
            f"SELECT price FROM {ks}.order_history WHERE symbol = %s AND seq = 1", [symbol]
        ).one()
    assert row is not None and row.price == Decimal("12.34")


def test_cqlsh_from_pypi_reads_the_local_node(cassandra_session: Session,
                                              cassandra_settings: Settings) -> None:
    cqlsh = Path(sys.executable).parent / "cqlsh"
    result = subprocess.run(
        [str(cqlsh), cassandra_settings.cassandra_host, str(cassandra_settings.cassandra_port),
         "-e", "SELECT release_version FROM system.local"],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "5.0." in result.stdout

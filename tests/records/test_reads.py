"""The read module over rows the writer put in a keyspace of this test's own."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest

from engine import ORDER_EVENTS, TRADES, Engine, parse_iso
from records.connection import connect
from records.reads import RecordReader
from records.rows import Position, order_event_writes, trade_writes
from records.writer import RecordWriter, WriterConfig, prepare_writes
from services.config import Settings

pytestmark = pytest.mark.services
NOW = parse_iso("2026-11-25T15:00:00Z")


def order(order_id: str, user: str, side: str, price: str, quantity: int, **extra) -> dict:
    return {"order_id": order_id, "user_id": user, "symbol": "AAPL", "side": side,
            "price": price, "quantity": quantity, **extra}


MESSAGES = [
    order("s1", "bob", "sell", "101.00", 10),
    order("s2", "cy", "sell", "100.50", 10),
    order("s3", "bob", "sell", "100.50", 5),
    order("b1", "amy", "buy", "99.00", 7),
    order("b2", "cy", "buy", "99.50", 3),
    order("b3", "amy", "buy", "100.50", 12),  # fills s2 (10) and 2 of s3
    {"action": "cancel", "order_id": "b1", "user_id": "amy", "symbol": "AAPL"},
    order("x1", "amy", "buy", "1.001", 1),  # rejected: off_tick
]


async def write_all(settings: Settings) -> None:
    session = connect(settings)
    writer = RecordWriter(session, prepare_writes(session, settings.cassandra_keyspace),
                          WriterConfig(concurrency=4, batch_rows=3))
    engine, offset, done = Engine(), 0, []

    async def acked() -> None:
        done.append(1)

    for n, message in enumerate(MESSAGES):
        for output in engine.process(json.dumps(message), offset=n, now=NOW + n * 1_000_000):
            rows = {TRADES: trade_writes, ORDER_EVENTS: order_event_writes}.get(output.topic)
            if rows:
                await writer.submit(rows(output.value, Position(output.topic, 0, offset)),
                                    acked)
                offset += 1
    assert await writer.drain(timeout=60)
    await writer.close(timeout=1)
    session.cluster.shutdown()
    assert len(done) == offset  # every output reported written


def test_reads_answer_in_the_tables_orders(sink_keyspace: Settings) -> None:
    async def scenario() -> None:
        await write_all(sink_keyspace)
        session = connect(sink_keyspace)
        try:
            reader = RecordReader(session, sink_keyspace.cassandra_keyspace)
            book = await reader.book("AAPL")
            assert [(r["side"], r["price"], r["order_id"], r["remaining_quantity"])
                    for r in book] == [("buy", Decimal("99.50"), "b2", 3),
                                       ("sell", Decimal("100.50"), "s3", 3),
                                       ("sell", Decimal("101.00"), "s1", 10)]
            assert [r["order_id"] for r in await reader.book("AAPL", side="sell")] == \
                ["s3", "s1"]
            assert {r["order_id"] for r in await reader.open_orders("bob")} == {"s1", "s3"}
            assert [r["order_id"] for r in await reader.open_orders("cy", "AAPL")] == ["b2"]
            completed = await reader.completed_orders("amy")
            assert [(r["order_id"], r["status"], r["filled_quantity"]) for r in completed] \
                == [("x1", "rejected", 0), ("b1", "cancelled", 0), ("b3", "filled", 12)]
            (s2,) = await reader.order("s2", "AAPL")
            assert (s2["status"], s2["quantity"], s2["price"]) == ("filled", 10,
                                                                   Decimal("100.50"))
            trades = await reader.latest_trades("AAPL")
            assert [(t["trade_id"], t["quantity"]) for t in trades] == [("AAPL-2", 2),
                                                                       ("AAPL-1", 10)]
            assert [t["seq"] for t in await reader.latest_trades("AAPL", 1, before_seq=2)] \
                == [1]
            fills = await reader.order_fills("AAPL", "b3")
            assert [(t["sell_order_id"], t["quantity"]) for t in fills] == [("s2", 10),
                                                                           ("s3", 2)]
        finally:
            session.cluster.shutdown()

    asyncio.run(scenario())

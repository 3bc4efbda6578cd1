"""Helpers of the sink's stack tests: a keyed mixed stream, what the engine must have
recorded for it (from the replay code), and what the tables hold."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from cassandra.cluster import Session

from engine import ORDER_EVENTS, TRADES, Engine, parse_iso
from tests.engine.order_streams import MixedStream

SYMBOLS = ("AAPL", "MSFT", "GOOG", "TSLA", "NVDA")
NOW = parse_iso("2026-11-25T15:00:00Z")
#: Refusals of commands naming an order in use are not orders: no completed row (README).
REFUSED_COMMANDS = {"duplicate_order_id", "unknown_order", "not_owner"}
Line = tuple[bytes, bytes]


def mixed_lines(count: int, seed: int = 11) -> list[Line]:
    """Every kind of message, keyed by symbol: MixedStream plus garbage and id-less orders."""
    rng = random.Random(seed)
    lines = []
    for message in MixedStream(seed, symbols=SYMBOLS).messages(count):
        key = str(message.get("symbol", "")).encode()
        roll = rng.random()
        if roll < 0.01:
            lines.append((key, b"\xff not json"))
            continue
        if roll < 0.03 and message.get("action", "new") == "new":
            del message["order_id"]  # the engine assigns TOPIC-PARTITION-OFFSET
        lines.append((key, json.dumps(message).encode()))
    return lines


async def produce(servers: str, topic: str, lines: list[Line]) -> list[tuple[int, int]]:
    """Send `lines` in order (idempotent producer); each line's (partition, offset)."""
    producer = AIOKafkaProducer(bootstrap_servers=servers, enable_idempotence=True,
                                linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key) for key, value in lines]
        return [(meta.partition, meta.offset) for meta in await asyncio.gather(*futures)]
    finally:
        await producer.stop()


class Expected:
    """The engine's outputs for the lines at their real positions, as the tables must hold them.

    `Engine.process` is what `order-replay` runs; with each line's real topic, partition and
    offset, the ids the engine assigns to id-less orders are the live ones too.
    """

    def __init__(self, lines: list[Line], positions: list[tuple[int, int]], topic: str) -> None:
        engine = Engine()
        self.trades: list[dict] = []
        self.events: list[dict] = []
        for n, ((_, raw), (partition, offset)) in enumerate(zip(lines, positions, strict=True)):
            for output in engine.process(raw, topic=topic, partition=partition, offset=offset,
                                         now=NOW + n):
                if output.topic == TRADES:
                    self.trades.append(output.value)
                elif output.topic == ORDER_EVENTS:
                    self.events.append(output.value)
        self.books = {symbol: book.to_rows().orders for symbol, book in engine.books.items()}

    def active(self) -> dict[str, list[tuple]]:
        """Per symbol, the resting orders in book order (bids best first, then asks)."""
        return {symbol: [(row["side"], Decimal(row["price"]), row["arrival"], row["order_id"],
                          row["user_id"], row["quantity"], row["quantity"] - row["remaining"],
                          row["remaining"]) for row in rows]
                for symbol, rows in self.books.items() if rows}

    def completed(self) -> dict[tuple[str, str], tuple]:
        """The final record of every finished order and every message refused as invalid.

        A real order's final state wins over any rejection of a message with its id.
        """
        final: dict[tuple[str, str], tuple] = {}
        rejected: dict[tuple[str, str], tuple] = {}
        for v in self.events:
            if v["event"] in ("filled", "cancelled", "expired"):
                left = v["quantity"] - v["filled_quantity"]
                final[v["order_id"], v["symbol"]] = (
                    v["user_id"], v["side"], _price(v["price"]), v["quantity"],
                    v["filled_quantity"], left, v["event"], v["reason"], v["tif"])
            elif v["event"] == "rejected" and v["reason"] not in REFUSED_COMMANDS \
                    and v["order_id"]:
                rejected[v["order_id"], v["symbol"] or ""] = (
                    v["user_id"], v["side"], _price(v["price"]), v["quantity"], 0, 0,
                    "rejected", v["reason"], None)
        return {**rejected, **final}

    def history(self) -> dict[str, list[tuple]]:
        """Per symbol, every trade newest first."""
        trades = defaultdict(list)
        for t in reversed(self.trades):
            trades[t["symbol"]].append(_trade(t["seq"], t["trade_id"], Decimal(t["price"]), t))
        return dict(trades)


def _price(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text is not None else None
    except ArithmeticError:
        return None


def _trade(seq: int, trade_id: str, price: Decimal, t: Any) -> tuple:
    return (seq, trade_id, price, t["quantity"], t["buy_order_id"], t["sell_order_id"],
            t["buy_user_id"], t["sell_user_id"], t["aggressor_side"])


def tables(session: Session, keyspace: str) -> dict[str, Any]:
    """What the three tables hold, in the shapes `Expected` gives."""
    active: dict[str, list[tuple]] = defaultdict(list)
    for r in session.execute(f"SELECT * FROM {keyspace}.active_orders"):
        active[r.symbol].append((r.side, r.price, r.priority_seq, r.order_id, r.user_id,
                                 r.quantity, r.filled_quantity, r.remaining_quantity))
    completed = {(r.order_id, r.symbol): (r.user_id, r.side, r.price, r.quantity,
                                          r.filled_quantity, r.remaining_quantity, r.status,
                                          r.reason, r.tif)
                 for r in session.execute(f"SELECT * FROM {keyspace}.completed_orders")}
    history: dict[str, list[tuple]] = defaultdict(list)
    for r in session.execute(f"SELECT * FROM {keyspace}.order_history"):
        history[r.symbol].append(_trade(r.seq, r.trade_id, r.price, r._asdict()))
    return {"active": dict(active), "completed": completed, "history": dict(history)}


def expected_tables(expected: Expected) -> dict[str, Any]:
    return {"active": expected.active(), "completed": expected.completed(),
            "history": expected.history()}


def everything(session: Session, keyspace: str) -> dict[str, list[tuple]]:
    """Every row and column of the three tables (times included), sorted."""
    return {table: sorted(tuple(row) for row in session.execute(
                f"SELECT * FROM {keyspace}.{table}"))
            for table in ("active_orders", "completed_orders", "order_history")}


def wait_until(condition: Callable[[], bool], timeout: float, every: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


async def unwritten(servers: str, group: str, topics: list[str]) -> int:
    """Committed records of `topics` past `group`'s committed offsets: the sink's lag.

    Counted with a read-committed consumer, so transaction markers (which hold offsets but
    are no records) never count as lag.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False,
                                isolation_level="read_committed")
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        tps = [TopicPartition(topic, p) for topic in topics
               for p in consumer.partitions_for_topic(topic) or await _partitions(consumer,
                                                                                   topic)]
        ends = await consumer.end_offsets(tps)
        lag = 0
        for tp in tps:
            start = committed[tp].offset if tp in committed else 0
            if start >= ends[tp]:
                continue
            consumer.assign([tp])
            consumer.seek(tp, start)
            while await consumer.position(tp) < ends[tp]:
                batch = await consumer.getmany(tp, timeout_ms=1000)
                lag += len(batch.get(tp, []))
        return lag
    finally:
        await consumer.stop()
        await admin.close()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or set()

"""The whole topology on the real broker: ingress, re-keying, matcher, RocksDB tables.

Each test runs the engine's own app (`faust -A app worker`) with fresh topic names, sends
order messages as a producer would and reads what the engine published, read-committed.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.partitioner import DefaultPartitioner

from engine import TRADES, Engine, wall_clock
from services.config import Settings
from tests.kafka_io import read_all, send
from tests.stack.worker import Worker, isolated_env

pytestmark = pytest.mark.services


@pytest.fixture
def engine_env(kafka_bootstrap: str, settings: Settings, tmp_path: Path) -> dict[str, str]:
    # The engine's agents only: these tests read Kafka, the sink has tests of its own.
    return {**isolated_env(kafka_bootstrap, settings, tmp_path / "data-1"),
            "WORKER_AGENTS": "engine"}


@pytest.fixture
def worker(engine_env: dict[str, str], tmp_path: Path) -> Iterator[Worker]:
    running = Worker("app", engine_env, tmp_path / "worker.log").start().wait_ready()
    yield running
    running.stop()


def order(order_id: str, user: str, side: str, price: str, quantity: int) -> tuple[bytes, bytes]:
    value = {"order_id": order_id, "user_id": user, "symbol": "AAPL", "side": side,
             "price": price, "quantity": quantity}
    return b"AAPL", json.dumps(value).encode()


def published(servers: str, topic: str, expected: int, timeout: float = 90) -> list[dict]:
    """What the engine committed to `topic`: the first `expected` records, or all by timeout."""
    records = asyncio.run(read_all(servers, topic, expected, committed_only=True,
                                   timeout=timeout))
    return [json.loads(value) for _, value in records]


def test_orders_match_and_garbage_is_rejected(worker: Worker, engine_env: dict[str, str],
                                              kafka_bootstrap: str) -> None:
    asyncio.run(send(kafka_bootstrap, engine_env["ORDERS_TOPIC"], [
        order("s-1", "bob", "sell", "189.25", 100),
        (b"whatever", b"\xff not json"),
        order("b-1", "alice", "buy", "189.30", 60),
    ]))

    trades = published(kafka_bootstrap, engine_env["TRADES_TOPIC"], 1)
    events = published(kafka_bootstrap, engine_env["ORDER_EVENTS_TOPIC"], 5)
    depth = published(kafka_bootstrap, engine_env["MARKET_DATA_TOPIC"], 2)

    assert [(t["trade_id"], t["price"], t["quantity"], t["buy_order_id"], t["sell_order_id"])
            for t in trades] == [("AAPL-1", "189.25", 60, "b-1", "s-1")], worker.tail()
    by_order: dict[str, list[str]] = {}
    for event in events:
        by_order.setdefault(event["order_id"], []).append(event["event"])
    assert by_order.pop("s-1") == ["accepted", "partially_filled"]
    assert by_order.pop("b-1") == ["accepted", "filled"]
    [(garbage_id, garbage_events)] = by_order.items()
    assert re.fullmatch(rf"{engine_env['ORDERS_TOPIC']}-\d+-\d+", garbage_id)
    assert garbage_events == ["rejected"]
    assert [e["reason"] for e in events if e["event"] == "rejected"] == ["invalid_json"]
    assert depth[-1]["asks"] == [["189.25", 40]] and depth[-1]["bids"] == []


def test_orders_keyed_elsewhere_are_rekeyed_and_keyed_ones_go_straight(
        worker: Worker, engine_env: dict[str, str], kafka_bootstrap: str,
        settings: Settings) -> None:
    """A message in its symbol's partition is applied there; one keyed otherwise crosses
    the commands topic to the symbol's partition: both reach the same book."""
    partitioner = DefaultPartitioner()
    partitions = list(range(settings.topic_partitions))
    home = partitioner(b"AAPL", partitions, partitions)
    elsewhere = next(f"k{n}".encode() for n in range(100)
                     if partitioner(f"k{n}".encode(), partitions, partitions) != home)
    sell_key, sell = order("s-1", "bob", "sell", "189.25", 100)
    _, buy = order("b-1", "alice", "buy", "189.25", 60)
    asyncio.run(send(kafka_bootstrap, engine_env["ORDERS_TOPIC"],
                     [(sell_key, sell), (elsewhere, buy)]))

    trades = published(kafka_bootstrap, engine_env["TRADES_TOPIC"], 1)
    commands = published(kafka_bootstrap, engine_env["COMMANDS_TOPIC"], 2, timeout=10)

    assert [(t["price"], t["quantity"], t["buy_order_id"], t["sell_order_id"])
            for t in trades] == [("189.25", 60, "b-1", "s-1")], worker.tail()
    assert [c["order_id"] for c in commands] == ["b-1"]


def order_stream(count: int, seed: int = 7) -> list[tuple[bytes, bytes]]:
    """Crossing limit orders on two symbols from a few users: plenty of trades."""
    rng = random.Random(seed)
    stream = []
    for n in range(count):
        symbol = rng.choice(["AAPL", "MSFT"])
        value = {"order_id": f"o-{n}", "user_id": rng.choice(["ann", "bob", "cy", "di"]),
                 "symbol": symbol, "side": rng.choice(["buy", "sell"]),
                 "price": f"{rng.randint(9990, 10010) / 100:.2f}",
                 "quantity": rng.randint(1, 50)}
        stream.append((symbol.encode(), json.dumps(value).encode()))
    return stream


def trade_facts(trades: list[dict]) -> dict[str, list[tuple]]:
    """Per symbol, each trade without its wall-clock timestamp."""
    facts: dict[str, list[tuple]] = {}
    for t in trades:
        facts.setdefault(t["symbol"], []).append(
            (t["trade_id"], t["price"], t["quantity"], t["buy_order_id"], t["sell_order_id"]))
    return facts


def test_killed_worker_neither_loses_nor_duplicates_a_trade(
    engine_env: dict[str, str], kafka_bootstrap: str, tmp_path: Path
) -> None:
    """SIGKILL mid-stream, restart on an empty data dir: the trades equal an offline replay.

    Guards the exactly-once fixes in app/exactly_once.py: outputs sent outside the
    transaction, changelog writes committed after their offsets, commits splitting a
    command, and stream partitions read before recovery seeked them to their committed
    offsets (commands skipped or replayed, or a partition whose offset, and so whose
    transaction, never committed again).
    """
    stream = order_stream(400)
    engine = Engine()
    expected = [o.value for i, (_, raw) in enumerate(stream)
                for o in engine.process(raw, offset=i, now=wall_clock()) if o.topic == TRADES]
    trades_topic = engine_env["TRADES_TOPIC"]

    first = Worker("app", engine_env, tmp_path / "worker-1.log").start().wait_ready()
    try:
        asyncio.run(send(kafka_bootstrap, engine_env["ORDERS_TOPIC"], stream))
        before_crash = published(kafka_bootstrap, trades_topic, len(expected) // 4)
    finally:
        first.kill()
    assert len(before_crash) >= len(expected) // 4, first.tail()

    # A replacement on a new machine: an empty data dir, so the books, sequences and dedup
    # windows must come back from the tables' changelog topics.
    replacement_env = {**engine_env, "FAUST_DATADIR": str(tmp_path / "data-2")}
    second = Worker("app", replacement_env, tmp_path / "worker-2.log").start().wait_ready()
    try:
        trades = published(kafka_bootstrap, trades_topic, len(expected))
        late = published(kafka_bootstrap, trades_topic, len(expected) + 1, timeout=5)
    finally:
        second.stop()

    counts = Counter(t["trade_id"] for t in late)
    assert [tid for tid, n in counts.items() if n > 1] == [], "trades published twice"
    assert trade_facts(trades) == trade_facts(expected), second.tail()


def test_agent_error_rolls_the_partition_back_and_it_keeps_flowing(
    engine_env: dict[str, str], kafka_bootstrap: str, tmp_path: Path
) -> None:
    """The matcher raises once, halfway through a command's outputs (app/faults.py).

    Its partition's open transaction is aborted and redone: no half-applied command, no
    output twice, and the commands after it flow on.
    """
    stream = order_stream(400, seed=3)
    engine = Engine()
    expected = [o.value for i, (_, raw) in enumerate(stream)
                for o in engine.process(raw, offset=i, now=wall_clock()) if o.topic == TRADES]
    faulty_order = json.loads(stream[200][1])["order_id"]
    env = {**engine_env, "MATCHER_FAULT_ORDER_ID": faulty_order}

    worker = Worker("app", env, tmp_path / "worker.log").start().wait_ready()
    try:
        asyncio.run(send(kafka_bootstrap, engine_env["ORDERS_TOPIC"], stream))
        trades = published(kafka_bootstrap, engine_env["TRADES_TOPIC"], len(expected))
        late = published(kafka_bootstrap, engine_env["TRADES_TOPIC"], len(expected) + 1,
                         timeout=5)
        alive = worker.proc is not None and worker.proc.poll() is None
    finally:
        worker.stop()

    log_text = worker.tail(10**6)
    assert f"injected fault on order {faulty_order}" in log_text
    assert "FAIL-STOP" not in log_text and alive, worker.tail()
    assert len(late) == len(expected), "trades published twice"
    assert trade_facts(trades) == trade_facts(expected), worker.tail()


def test_edge_inputs_are_rejected_and_the_partition_flows_on(
    worker: Worker, engine_env: dict[str, str], kafka_bootstrap: str
) -> None:
    """The inputs a differential fuzz found (contract, "Edge inputs, settled")."""
    base = {"user_id": "u", "symbol": "AAPL", "side": "buy", "price": "1.00", "quantity": 1}
    raw_values = [
        json.dumps({**base, "order_id": "huge"}).replace('"1.00"', "1e9999999999999999999"),
        json.dumps({"order_id": "legacy", "user_id": "u", "stock_id": "AAPL",
                    "order_type": "buy", "price": "1.00", "quantity": 1,
                    "market_order": "yes"}),
        json.dumps({**base, "order_id": "unicode", "user_id": "a\u00a0b\u200d\U0001f600"}),
        json.dumps({**base, "order_id": "surrogate"}).replace('"u"', '"\\ud800"'),
        json.dumps({**base, "order_id": "long-price", "price": "1" * 500_000}),
        json.dumps({**base, "order_id": "after"}),
    ]
    asyncio.run(send(kafka_bootstrap, engine_env["ORDERS_TOPIC"],
                     [(b"AAPL", value.encode()) for value in raw_values]))

    events = published(kafka_bootstrap, engine_env["ORDER_EVENTS_TOPIC"], len(raw_values))
    outcome = {e["order_id"]: (e["event"], e["reason"]) for e in events}
    assert outcome == {
        "huge": ("rejected", "bad_price"),
        "legacy": ("rejected", "invalid_field"),
        "unicode": ("accepted", None),
        "surrogate": ("rejected", "invalid_field"),
        "long-price": ("rejected", "bad_price"),
        "after": ("accepted", None),
    }, worker.tail()

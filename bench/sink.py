"""Throughput of the Cassandra sink beside plain cassandra-driver inserts of the same rows,
and the sink's lag while the matcher runs at its peak.

Usage: ``python -m bench.sink [--messages 20000] [--concurrency 32]`` with Kafka and
Cassandra running (``order-services up``).

1. A mixed stream (every message kind, 5 symbols) runs through the replay code; its trades
   and order events are produced to fresh topics, as the matcher would publish them.
2. Baseline: the rows those outputs imply (`records.rows`) are written to a fresh keyspace
   with `cassandra.concurrent.execute_concurrent`, one prepared statement per row,
   `--concurrency` requests in flight.
3. Sink: a sink-only worker (`WORKER_AGENTS=sink`, its own consumer group) reads the same
   topics into another fresh keyspace; rows/s from its start (`Worker ready`) until its
   committed offsets reach the end of both topics (so it includes up to one commit
   interval, 2.8 s by default, of waiting).
4. Lag: the whole engine (ingress, matcher, sink in one worker) gets the stream produced
   as fast as one producer can; every second the sink's lag (committed records of `trades`
   and `order-events` not yet written) and the engine's backlog (records of `orders` and
   of the commands topic not yet processed) are printed, until both stay zero for 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import tempfile
import time
import uuid
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from cassandra.concurrent import execute_concurrent

from app import settings as app_settings
from engine import ORDER_EVENTS, TRADES, Engine, parse_iso
from records.connection import connect
from records.rows import Position, order_event_writes, trade_writes
from records.writer import prepare_writes
from services import cassandra, kafka
from services.config import Settings
from tests.records.stack import mixed_lines, produce, unwritten
from tests.stack.worker import Worker

NOW = parse_iso("2026-11-25T15:00:00Z")


def outputs_of(lines: list[tuple[bytes, bytes]]) -> list[tuple[str, bytes, bytes]]:
    """(topic name, key, value) of every trade and order event, in publishing order."""
    engine = Engine()
    out = []
    for n, (_, raw) in enumerate(lines):
        for output in engine.process(raw, offset=n, now=NOW + n):
            if output.topic in (TRADES, ORDER_EVENTS):
                out.append((output.topic, (output.key or "").encode(),
                            output.json))
    return out


async def publish(servers: str, topics: dict[str, str],
                  outputs: list[tuple[str, bytes, bytes]]) -> list[Position]:
    producer = AIOKafkaProducer(bootstrap_servers=servers, enable_idempotence=True,
                                linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(topics[topic], value, key=key)
                   for topic, key, value in outputs]
        metas = await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return [Position(m.topic, m.partition, m.offset) for m in metas]


def fresh_keyspace(base: Settings) -> Settings:
    ks = dataclasses.replace(base, cassandra_keyspace=f"bench_{uuid.uuid4().hex[:8]}")
    cassandra.apply_schema(ks)
    return ks


def drop(ks: Settings) -> None:
    with cassandra.session(ks) as sess:
        sess.execute(f"DROP KEYSPACE IF EXISTS {ks.cassandra_keyspace}", timeout=60)


def baseline(ks: Settings, writes: list, concurrency: int) -> float:
    session = connect(ks)
    try:
        prepared = prepare_writes(session, ks.cassandra_keyspace)
        statements = [(prepared[w.statement], w.values) for w in writes]
        started = time.perf_counter()
        results = execute_concurrent(session, statements, concurrency=concurrency,
                                     raise_on_first_error=True)
        elapsed = time.perf_counter() - started
        assert all(ok for ok, _ in results)
        return len(writes) / elapsed
    finally:
        session.cluster.shutdown()


async def committed(servers: str, group: str) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        return {tp: meta.offset for tp, meta in
                (await admin.list_consumer_group_offsets(group)).items()}
    finally:
        await admin.close()


def worker_env(servers: str, run: str, topics: dict[str, str], ks: Settings,
               data: Path, concurrency: int) -> dict[str, str]:
    return {"KAFKA_BROKER": f"kafka://{servers}", "APP_ID": f"bench-{run}",
            "ORDERS_TOPIC": topics["orders"], "TRADES_TOPIC": topics[TRADES],
            "ORDER_EVENTS_TOPIC": topics[ORDER_EVENTS],
            "MARKET_DATA_TOPIC": topics["market-data"],
            "COMMANDS_TOPIC": f"bench-{run}-commands", "FAUST_DATADIR": str(data),
            "CASSANDRA_KEYSPACE": ks.cassandra_keyspace,
            "SINK_CONCURRENCY": str(concurrency)}


def sink_rate(servers: str, env: dict[str, str], writes: int, positions: list[Position],
              log: Path) -> float:
    ends: dict[TopicPartition, int] = {}
    for p in positions:
        tp = TopicPartition(p.topic, p.partition)
        ends[tp] = max(ends.get(tp, 0), p.offset + 1)
    group = f"{env['APP_ID']}-sink"
    worker = Worker("app", {**env, "WORKER_AGENTS": "sink"}, log).start().wait_ready()
    started = time.perf_counter()
    try:
        while True:
            done = asyncio.run(committed(servers, group))
            if all(done.get(tp, 0) >= end for tp, end in ends.items()):
                return writes / (time.perf_counter() - started)
            time.sleep(0.5)
    finally:
        worker.stop()


def lag_run(servers: str, env: dict[str, str], lines: list, log: Path) -> None:
    kafka.declare_app_topics(env)
    worker = Worker("app", env, log).start().wait_ready()
    topics = [env["TRADES_TOPIC"], env["ORDER_EVENTS_TOPIC"]]
    try:
        started = time.perf_counter()
        asyncio.run(produce(servers, env["ORDERS_TOPIC"], lines))
        print(f"  produced {len(lines)} orders in {time.perf_counter() - started:.1f} s")
        peak, zero_since = 0, None
        while zero_since is None or time.perf_counter() - zero_since < 5:
            lag = asyncio.run(unwritten(servers, env["APP_ID"], topics))
            orders = asyncio.run(unwritten(servers, env["APP_ID"],
                                           [env["ORDERS_TOPIC"], env["COMMANDS_TOPIC"]]))
            peak = max(peak, lag)
            print(f"  t={time.perf_counter() - started:6.1f} s  engine backlog (orders and "
                  f"commands not yet processed) {orders:6d}  sink lag {lag:6d} records")
            caught_up = lag == 0 and orders == 0
            zero_since = (zero_since or time.perf_counter()) if caught_up else None
            time.sleep(1)
        print(f"  peak sink lag {peak} records; back to zero "
              f"{zero_since - started:.1f} s after the first order was sent")
    finally:
        worker.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.sink")
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=app_settings.SINK_CONCURRENCY)
    parser.add_argument("--skip-lag", action="store_true")
    args = parser.parse_args(argv)

    base = Settings()
    servers = kafka.bootstrap(base)
    run = uuid.uuid4().hex[:8]
    topics = {name: f"bench-{name}-{run}" for name in ("orders", TRADES, ORDER_EVENTS,
                                                        "market-data")}
    kafka.create_topics(base, list(topics.values()))
    lines = mixed_lines(args.messages)
    outputs = outputs_of(lines)
    positions = asyncio.run(publish(servers, topics, outputs))
    writes = [w for (topic, _, value), position in zip(outputs, positions, strict=True)
              for w in (trade_writes if topic == TRADES else order_event_writes)(
                  orjson.loads(value), position)]
    print(f"{args.messages} messages -> {len(outputs)} trades and order events -> "
          f"{len(writes)} row writes")

    with tempfile.TemporaryDirectory() as tmp:
        ks_base, ks_sink = fresh_keyspace(base), fresh_keyspace(base)
        try:
            plain = baseline(ks_base, writes, args.concurrency)
            print(f"plain driver, execute_concurrent ({args.concurrency} in flight): "
                  f"{plain:,.0f} rows/s")
            env = worker_env(servers, run, topics, ks_sink, Path(tmp) / "sink",
                             args.concurrency)
            sink = sink_rate(servers, env, len(writes), positions, Path(tmp) / "sink.log")
            print(f"sink worker (Kafka in, Cassandra out, offsets committed): "
                  f"{sink:,.0f} rows/s = {sink / plain:.0%} of the plain driver")
        finally:
            drop(ks_base)
        if not args.skip_lag:
            lag_topics = {name: f"bench-lag-{name}-{run}" for name in topics}
            kafka.create_topics(base, list(lag_topics.values()))
            env = worker_env(servers, f"lag-{run}", lag_topics, ks_sink, Path(tmp) / "lag",
                             args.concurrency)
            print("engine + sink in one worker, orders produced at full speed:")
            try:
                lag_run(servers, env, lines, Path(tmp) / "lag.log")
            finally:
                drop(ks_sink)
        else:
            drop(ks_sink)
    return 0


if __name__ == "__main__":
    with kafka.new_topics_deleted(Settings()):
        raise SystemExit(main())

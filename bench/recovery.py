"""Recovery of a worker holding 1,000,000 resting orders: from its local store, and from the
changelog alone (an empty data dir, a new machine).

Usage: ``python -m bench.recovery [--orders 1000000] [--symbols 4]`` against the running
local broker (``make up``). The tables' changelogs are filled directly with the rows the
matcher would have written (one order row and one duplicate-window row per order, one
metadata row per symbol), then a real worker is started on an empty data dir, stopped,
and started again on the same data dir. Each start is timed from the process start to the
first outputs of one command per symbol, which need every book rebuilt. The baseline,
measured in the same run, is a plain aiokafka read of the same changelogs: the floor of
any restore from Kafka on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.partitioner import murmur2

from services import kafka
from services.config import Settings
from tests.kafka_io import read_all, send
from tests.stack.worker import Worker, isolated_env

PARTITIONS = 8
CHANGELOGS = ("book-orders", "book-seen", "book-meta")


def partition_of(symbol: str) -> int:
    """The commands partition of a symbol (Kafka's default partitioner)."""
    return (murmur2(symbol.encode()) & 0x7FFFFFFF) % PARTITIONS


def rows(orders: int, symbols: list[str]) -> dict[str, list[tuple[int, bytes, bytes]]]:
    """Changelog records (partition, key, value) of books holding `orders` resting orders."""
    out: dict[str, list[tuple[int, bytes, bytes]]] = {name: [] for name in CHANGELOGS}
    per_symbol = orders // len(symbols)
    for symbol in symbols:
        partition = partition_of(symbol)
        for n in range(per_symbol):
            side = "buy" if n % 2 else "sell"
            ticks = 10_000 - 1 - n % 500 if side == "buy" else 10_000 + 1 + n % 500
            order_id = f"r{n}"
            row = {"order_id": order_id, "user_id": f"u{n % 97}", "side": side,
                   "price": f"{ticks // 100}.{ticks % 100:02d}", "quantity": 10,
                   "remaining": 10, "arrival": n + 1, "timestamp": None}
            key = json.dumps(f"{symbol}/{order_id}").encode()
            out["book-orders"].append((partition, key, json.dumps(row).encode()))
            out["book-seen"].append((partition, key, b"1764288000000000"))
        meta = {"trade_seq": 0, "arrival_seq": per_symbol, "book_seq": per_symbol,
                "last_trade": None}
        out["book-meta"].append((partition, json.dumps(symbol).encode(),
                                 json.dumps(meta).encode()))
    return out


async def fill(servers: str, app_id: str, records: dict[str, list]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=servers, linger_ms=20,
                                max_batch_size=512 * 1024)
    await producer.start()
    try:
        for name, table_rows in records.items():
            for partition, key, value in table_rows:
                await producer.send(f"{app_id}-{name}-changelog", value, key=key,
                                    partition=partition)
        await producer.flush()
    finally:
        await producer.stop()


async def read_changelogs(servers: str, app_id: str, expected: int) -> float:
    """Seconds a plain read-committed consumer needs to read every changelog record."""
    began = time.monotonic()
    consumer = AIOKafkaConsumer(*(f"{app_id}-{name}-changelog" for name in CHANGELOGS),
                                bootstrap_servers=servers, auto_offset_reset="earliest",
                                enable_auto_commit=False, isolation_level="read_committed",
                                max_partition_fetch_bytes=4 * 1024 * 1024)
    await consumer.start()
    try:
        seen = 0
        while seen < expected:
            batches = await consumer.getmany(timeout_ms=1000, max_records=50_000)
            seen += sum(len(batch) for batch in batches.values())
    finally:
        await consumer.stop()
    return time.monotonic() - began


def time_start(env: dict[str, str], log_file: Path, symbols: list[str],
               servers: str) -> tuple[float, float, Worker]:
    """Seconds to `Worker ready`, and to the first outputs of a command per symbol."""
    began = time.monotonic()
    worker = Worker("app", env, log_file).start().wait_ready(timeout=600)
    ready = time.monotonic() - began
    probes = [(s.encode(), json.dumps({"action": "cancel", "order_id": "none", "user_id": "x",
                                       "symbol": s}).encode()) for s in symbols]
    before = len(asyncio.run(read_all(servers, env["ORDER_EVENTS_TOPIC"], 10**9,
                                      committed_only=True, timeout=2)))
    asyncio.run(send(servers, env["ORDERS_TOPIC"], probes))
    events = asyncio.run(read_all(servers, env["ORDER_EVENTS_TOPIC"], before + len(symbols),
                                  committed_only=True, timeout=600))
    assert len(events) >= before + len(symbols), worker.tail()
    return ready, time.monotonic() - began, worker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--symbols", type=int, default=4)
    args = parser.parse_args()
    settings = Settings()
    servers = kafka.bootstrap(settings)
    tmp = tempfile.mkdtemp(prefix="recovery-")  # kept: the workers' logs are worth reading
    worker_env = isolated_env(servers, settings, Path(tmp, "data"))
    app_id = worker_env["APP_ID"]
    symbols = [f"S{n}" for n in range(args.symbols)]
    records = rows(args.orders, symbols)
    total = sum(len(r) for r in records.values())
    began = time.monotonic()
    asyncio.run(fill(servers, app_id, records))
    print(f"filled {total:,} changelog records in {time.monotonic() - began:.1f} s")
    baseline = asyncio.run(read_changelogs(servers, app_id, total))

    cold_ready, cold_total, worker = time_start(worker_env, Path(tmp, "w1.log"), symbols,
                                                servers)
    worker.stop()
    warm_ready, warm_total, worker = time_start(worker_env, Path(tmp, "w2.log"), symbols,
                                                servers)
    worker.stop()
    print(f"worker logs and data in {tmp}")

    print(f"\n{args.orders:,} resting orders in {len(symbols)} books, {total:,} changelog "
          f"records\n")
    print("| what | worker ready | books rebuilt, first outputs |")
    print("|---|---|---|")
    print(f"| baseline: plain aiokafka read of the changelogs | {baseline:.1f} s | |")
    print(f"| from the changelog alone (empty data dir) | {cold_ready:.1f} s | "
          f"{cold_total:.1f} s |")
    print(f"| from the local store (same data dir) | {warm_ready:.1f} s | {warm_total:.1f} s |")


if __name__ == "__main__":
    with kafka.new_topics_deleted(Settings()):
        main()

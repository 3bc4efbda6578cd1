"""End-to-end speed of the live pipeline beside a no-op Faust agent and a raw aiokafka loop.

Usage: ``python -m bench.pipeline [--orders 20000] [--mixed 20000] [--latency-seconds 15]
[--only raw,noop,noop-batch,pipeline,mixed,latency] [--faust-env KEY=VALUE ...]
[--profile DIR]``
against the running local broker (``SERVICES_DIR`` names it). Every run uses fresh topics
and app ids. Rows, each a real process on the same broker:

- raw: ``bench.raw_copy``, a plain aiokafka transactional copy loop (2,000-record
  transactions, 5 ms linger): the ceiling of Python on this broker;
- no-op Faust: ``bench.noop_app``, the engine's own ``create_app`` and ``units_of_work``
  copying each message to another topic through Faust's stream, event by event: the Faust
  passthrough;
- batch no-op: the same app taking whole fetched batches (``batches_of_work``) as the
  engine's agents do: the ceiling of the pipeline's own path;
- pipeline: ``faust -A app worker`` with ``WORKER_AGENTS=engine`` (ingress, commands,
  matcher, outputs; the Cassandra sink is measured by ``bench.sink``).

Saturation: N new limit orders of one symbol are produced as fast as the producer can (far
faster than any row consumes), and msg/s is N over the time from the first input's append
time to the last output's append time. Topics are created with
``message.timestamp.type=LogAppendTime``, so both ends are the broker's clock. Outputs are
read read-committed; "visible" is when the topic's last stable offsets (polled every
20 ms) passed the last one, which a reader busy parsing a burst would see later. The output
counted for the pipeline is the order's ``accepted`` event on ``order-events`` (one per new
limit order; the command's other events are in the same transaction); for the mixed stream
(``MixedStream``: cancels, amends, rejects, ...), every order event, as many as an offline
``Engine`` replay of the stream publishes. Latency: orders offered at fixed rates (25, 50,
75% of the stream's measured saturation, new limit orders and the mixed stream), each
order's first order event (for the limit orders their ``accepted`` event; its trades are in
the same transaction) append time (and read-committed visibility) minus the append time of
the order's first message, matched by order id.
``--faust-env`` passes Faust settings (``PRODUCER_LINGER=0.005``,
``BROKER_COMMIT_INTERVAL=0.1``, ...) to both Faust workers through Faust's own environment
variables, to measure a setting before changing the app. ``--profile DIR`` runs py-spy on
the Faust workers during their saturation phase (collapsed stacks, ``bench.stacks`` reads
them).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.recovery import partition_of
from engine import ORDER_EVENTS, Engine, wall_clock
from services import kafka
from services.config import Settings
from tests.engine.order_streams import MixedStream, moving_mid_limit_orders
from tests.stack.worker import Worker, isolated_env

Record = tuple[bytes, bytes]
#: Picks the outputs that count and names them (an order id) for latency matching.
Identify = Callable[[bytes], str | None]

TOPIC_CONFIG = {"message.timestamp.type": "LogAppendTime"}
LATENCY_SHARES = (0.25, 0.50, 0.75)
ROWS = ("raw", "noop", "noop-batch", "pipeline", "mixed", "latency")


# -- inputs ---------------------------------------------------------------------------------

def encode(messages: Iterator[dict[str, Any]], prefix: str = "") -> list[Record]:
    """Wire records keyed by symbol, as a client produces them; `prefix` goes before every
    order id, to keep ids unique across phases."""
    return [(m["symbol"].encode(), json.dumps(
        {**m, "order_id": prefix + m["order_id"]} if isinstance(m.get("order_id"), str) else m
    ).encode()) for m in messages]


def limit_orders(count: int, seed: int, prefix: str = "") -> list[Record]:
    """New limit orders of one symbol; `prefix` keeps ids unique across phases."""
    return encode(moving_mid_limit_orders(count, seed=seed, symbol="AAPL"), prefix)


def mixed_orders(count: int, seed: int = 1, symbol: str = "MSFT") -> list[Record]:
    """Every command kind, on a symbol of its own: its ids do not meet another stream's,
    and its events are those of an offline replay starting from an empty book."""
    stream = MixedStream(seed=seed, symbols=(symbol,), users=200, spread=20)
    return encode(stream.messages(count), prefix=f"{symbol}-")


def replayed_events(records: list[Record]) -> int:
    """How many order events the engine publishes for `records` (offline, same code)."""
    engine = Engine()
    return sum(o.topic == ORDER_EVENTS for n, (_, raw) in enumerate(records)
               for o in engine.process(raw, offset=n, now=wall_clock()))


def order_id(value: bytes) -> str:
    """A message's or an event's order id ("" if it has none: it still counts)."""
    return orjson.loads(value).get("order_id") or ""


def accepted_order_id(value: bytes) -> str | None:
    """The order id of an `accepted` event: one per new limit order."""
    if b'"accepted"' not in value:
        return None
    event = orjson.loads(value)
    return event["order_id"] if event.get("event") == "accepted" else None


def any_event(value: bytes) -> str | None:
    return "event"


async def produce_burst(servers: str, topic: str, records: list[Record]) -> float:
    """Append all records as fast as possible; returns the first one's append time."""
    producer = AIOKafkaProducer(bootstrap_servers=servers, max_batch_size=1024 * 1024,
                                acks="all", enable_idempotence=True)
    await producer.start()
    try:
        partition = partition_of(records[0][0].decode())
        futures, batch = [], producer.create_batch()
        for key, value in records:
            if batch.append(key=key, value=value, timestamp=None) is None:
                futures.append(await producer.send_batch(batch, topic, partition=partition))
                batch = producer.create_batch()
                batch.append(key=key, value=value, timestamp=None)
        futures.append(await producer.send_batch(batch, topic, partition=partition))
        metadata = await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return metadata[0].timestamp / 1000


async def produce_paced(servers: str, topic: str, records: list[Record],
                        rate: float) -> dict[str, float]:
    """Append records at `rate` per second; returns the append time of each order id's
    first message (a cancel or amend of an earlier order adds none).

    The producer lingers 5 ms, as Kafka's own producer does by default since 4.0
    (KIP-1030): sent one request per record, the orders cost this 2-core machine's broker
    more than the pipeline under test. Latency counts from the broker's append time.
    """
    producer = AIOKafkaProducer(bootstrap_servers=servers, acks="all", enable_idempotence=True,
                                linger_ms=5)
    await producer.start()
    try:
        loop = asyncio.get_running_loop()
        began, futures = loop.time(), {}
        for n, (key, value) in enumerate(records):
            delay = began + n / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            future = await producer.send(topic, value, key=key)
            futures.setdefault(order_id(value), future)
        return {oid: (await fut).timestamp / 1000 for oid, fut in futures.items()}
    finally:
        await producer.stop()


# -- outputs --------------------------------------------------------------------------------

@dataclass
class Outputs:
    """The counted records of one output topic, read committed from where it ends now.

    The reader parses every record, and on this machine it can fall a second behind a
    saturated pipeline; so the moment the counted records became visible is taken from
    the topic's read-committed end offsets (its last stable offsets), polled meanwhile.
    """

    servers: str
    topic: str
    identify: Identify
    count: int = 0
    last_append: float = 0.0
    last_received: float = 0.0
    first: dict[str, tuple[float, float]] = field(default_factory=dict)  # append, received
    consumer: AIOKafkaConsumer | None = None
    counted_end: dict[int, int] = field(default_factory=dict)  # partition -> last offset + 1
    stable: list[tuple[float, dict[int, int]]] = field(default_factory=list)

    async def start(self) -> Outputs:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=self.servers,
                                         enable_auto_commit=False,
                                         isolation_level="read_committed")
        await self.consumer.start()
        partitions = self.consumer.partitions_for_topic(self.topic)
        if not partitions:
            await self.consumer._client.force_metadata_update()
            partitions = self.consumer.partitions_for_topic(self.topic)
        tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        self.consumer.assign(tps)
        await self.consumer.seek_to_end(*tps)
        for tp in tps:  # resolve the positions before any input is produced
            await self.consumer.position(tp)
        return self

    async def read_until(self, expected: int, timeout: float) -> None:
        """Read until `expected` counted records arrived, or fail after `timeout`."""
        assert self.consumer is not None
        deadline = time.monotonic() + timeout
        watching = asyncio.create_task(self._watch_stable_offsets())
        try:
            while self.count < expected:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.topic}: {self.count} of {expected} outputs "
                                       f"after {timeout:.0f} s")
                batches = await self.consumer.getmany(timeout_ms=200, max_records=2_000)
                seen = time.time()
                for records in batches.values():
                    for record in records:
                        self._note(record, seen)
        finally:
            watching.cancel()
            await self.consumer.stop()

    def _note(self, record: Any, seen: float) -> None:
        name = self.identify(record.value)
        if name is None:
            return
        self.count += 1
        self.last_append = max(self.last_append, record.timestamp / 1000)
        self.last_received = seen
        self.counted_end[record.partition] = record.offset + 1
        self.first.setdefault(name, (record.timestamp / 1000, seen))

    async def _watch_stable_offsets(self, every: float = 0.02) -> None:
        """On a connection of its own: the broker answers a connection's requests in
        order, and the reader's fetches wait there for data."""
        assert self.consumer is not None
        tps = list(self.consumer.assignment())
        watcher = AIOKafkaConsumer(bootstrap_servers=self.servers,
                                   isolation_level="read_committed")
        await watcher.start()
        try:
            while True:
                ends = await watcher.end_offsets(tps)
                self.stable.append((time.time(),
                                    {tp.partition: end for tp, end in ends.items()}))
                await asyncio.sleep(every)
        finally:
            await watcher.stop()

    def last_visible(self) -> float:
        """When every counted record was visible to a read-committed reader."""
        for at, ends in self.stable:
            if all(ends.get(p, 0) >= end for p, end in self.counted_end.items()):
                return at
        return self.last_received


# -- workers --------------------------------------------------------------------------------

def cpu_seconds(pid: int) -> tuple[float, float]:
    """User and system CPU of a process and its threads so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


@contextmanager
def profiled(pid: int, out: Path | None) -> Iterator[None]:
    """py-spy on `pid` while the block runs (collapsed stacks, all threads)."""
    if out is None:
        yield
        return
    spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "-p",
                            str(pid), "--format", "raw", "--threads", "--rate", "200",
                            "--nonblocking", "-o", str(out)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    time.sleep(1.0)  # attached before the inputs arrive
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)


@dataclass
class Bench:
    """One run: the broker, fresh names, a scratch dir and the Faust settings under test."""

    settings: Settings
    tmp: Path
    faust_env: dict[str, str]
    profile_dir: Path | None
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    @property
    def servers(self) -> str:
        return kafka.bootstrap(self.settings)

    def topics(self, *names: str) -> list[str]:
        """Fresh topics of this run, appended with the broker's clock."""
        topics = [f"bench-{name}-{self.run}" for name in names]
        kafka.create_topics(self.settings, topics, TOPIC_CONFIG)
        return topics

    def worker(self, name: str, env: dict[str, str], argv: list[str] | None = None,
               app: str = "app") -> Worker:
        env = {"KAFKA_BROKER": f"kafka://{self.servers}", "FAUST_DATADIR":
               str(self.tmp / f"data-{name}"), **self.faust_env, **env}
        worker = Worker(app, env, self.tmp / f"{name}.log", argv=argv)
        return worker.start().wait_ready(timeout=180)

    def profile_path(self, name: str) -> Path | None:
        return None if self.profile_dir is None else self.profile_dir / f"{name}.collapsed"


@dataclass
class Saturation:
    what: str
    messages: int
    seconds: float
    visible_seconds: float
    cpu_us: float
    kernel_share: float  # of the worker's CPU: syscalls (socket writes on loopback, ...)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


async def _saturate(outputs: Outputs, servers: str, topic: str, records: list[Record],
                    expected: int, timeout: float) -> float:
    await outputs.start()
    reading = asyncio.create_task(outputs.read_until(expected, timeout))
    first_append = await produce_burst(servers, topic, records)
    await reading
    return first_append


def saturate(what: str, bench: Bench, worker: Worker, topic: str, records: list[Record],
             sink: str, identify: Identify, expected: int | None = None,
             profile: Path | None = None) -> Saturation:
    """Offer `records` at once; time first input append to last counted output append."""
    outputs = Outputs(bench.servers, sink, identify)
    assert worker.proc is not None
    cpu_before = cpu_seconds(worker.proc.pid)
    with profiled(worker.proc.pid, profile):
        first = asyncio.run(_saturate(outputs, bench.servers, topic, records,
                                      expected or len(records), timeout=900))
    user, system = (after - before for after, before in zip(cpu_seconds(worker.proc.pid),
                                                            cpu_before, strict=True))
    return Saturation(what, len(records), outputs.last_append - first,
                      outputs.last_visible() - first, (user + system) / len(records) * 1e6,
                      system / max(user + system, 1e-9))


# -- rows -----------------------------------------------------------------------------------

def raw_row(bench: Bench, records: list[Record]) -> Saturation:
    source, sink = bench.topics("raw-in", "raw-out")
    argv = [sys.executable, "-m", "bench.raw_copy", bench.servers, source, sink,
            f"bench-raw-{bench.run}"]
    worker = bench.worker("raw", {}, argv=argv)
    try:
        return saturate("raw aiokafka transactional copy loop", bench, worker, source,
                        records, sink, order_id)
    finally:
        worker.stop()


def noop_row(bench: Bench, records: list[Record], batches: bool = False) -> Saturation:
    name = "noop-batch" if batches else "noop"
    source, sink = bench.topics(f"{name}-in", f"{name}-out")
    env = {"BENCH_APP_ID": f"bench-{name}-{bench.run}", "BENCH_SOURCE": source,
           "BENCH_SINK": sink, "BENCH_BATCHES": "1" if batches else "0"}
    worker = bench.worker(name, env, app="bench.noop_app")
    what = ("batch no-op agent (app.record_batches)" if batches
            else "no-op Faust exactly-once agent (Faust's stream)")
    try:
        return saturate(what, bench, worker, source, records, sink, order_id,
                        profile=bench.profile_path(name))
    finally:
        worker.stop()


def pipeline_env(bench: Bench) -> dict[str, str]:
    """The app's topics, fresh for this run, as the stack tests make them.

    The worker runs the matching pipeline alone: the Cassandra sink is a consumer of its
    outputs, best run in workers of its own, and `bench.sink` measures it.
    """
    env = isolated_env(bench.servers, bench.settings, bench.tmp / "data-pipeline",
                       TOPIC_CONFIG)
    return {**env, "WORKER_AGENTS": "engine"}


def latency(bench: Bench, env: dict[str, str], records: list[Record], rate: float,
            identify: Identify, expected: int) -> list[tuple[float, float]]:
    """(append, visible) latency in ms of each order offered at `rate` per second: from
    its first message's append time to the first order event naming it."""
    outputs = Outputs(bench.servers, env["ORDER_EVENTS_TOPIC"], identify)

    async def offer() -> dict[str, float]:
        await outputs.start()
        reading = asyncio.create_task(outputs.read_until(expected, timeout=300))
        appended = await produce_paced(bench.servers, env["ORDERS_TOPIC"], records, rate)
        await reading
        return appended

    appended = asyncio.run(offer())
    return [((outputs.first[oid][0] - t) * 1e3, (outputs.first[oid][1] - t) * 1e3)
            for oid, t in appended.items() if oid in outputs.first]


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return " / ".join(f"{at(q):,.0f}" for q in (0.5, 0.99, 0.999))


# -- report ---------------------------------------------------------------------------------

def print_saturation(rows: list[Saturation]) -> None:
    by = {row.what.split()[0]: row for row in rows}
    raw, noop = by.get("raw"), by.get("no-op")
    print("| what | messages | seconds (append) | msg/s | seconds to visible | "
          "worker CPU µs/msg (kernel) | ÷ no-op Faust | ÷ raw loop |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        vs_noop = f"{row.rate / noop.rate:.0%}" if noop else "-"
        vs_raw = f"{row.rate / raw.rate:.1%}" if raw else "-"
        print(f"| {row.what} | {row.messages:,} | {row.seconds:.2f} | {row.rate:,.0f} | "
              f"{row.visible_seconds:.2f} | {row.cpu_us:,.0f} ({row.kernel_share:.0%}) | "
              f"{vs_noop} | {vs_raw} |")


def print_latency(results: list[tuple[str, float, float, list[tuple[float, float]]]]
                  ) -> None:
    print("\n| stream | offered msg/s | share of its saturation | orders | "
          "p50 / p99 / p99.9 ms, append | p50 / p99 / p99.9 ms, visible read-committed |")
    print("|---|---|---|---|---|---|")
    for stream, rate, share, samples in results:
        print(f"| {stream} | {rate:,.0f} | {share:.0%} | {len(samples):,} | "
              f"{percentiles([a for a, _ in samples])} | "
              f"{percentiles([v for _, v in samples])} |")


def pipeline_rows(bench: Bench, args: argparse.Namespace) -> tuple[list[Saturation], list]:
    if not args.only & {"pipeline", "mixed", "latency"}:
        return [], []
    env = pipeline_env(bench)
    worker = bench.worker("pipeline", env)
    rows, lat = [], []
    try:
        limit = mixed = None
        if "pipeline" in args.only:
            limit = saturate("pipeline `faust -A app worker`, new limit orders", bench,
                             worker, env["ORDERS_TOPIC"], limit_orders(args.orders, seed=1),
                             env["ORDER_EVENTS_TOPIC"], accepted_order_id,
                             profile=bench.profile_path("pipeline"))
            rows.append(limit)
        if "mixed" in args.only:
            records = mixed_orders(args.mixed)
            mixed = saturate("pipeline, mixed stream", bench, worker, env["ORDERS_TOPIC"],
                             records, env["ORDER_EVENTS_TOPIC"], any_event,
                             expected=replayed_events(records))
            rows.append(mixed)
        if "latency" in args.only:
            lat = latency_rows(bench, env, limit, mixed, args.latency_seconds)
    finally:
        worker.stop()
    return rows, lat


def latency_rows(bench: Bench, env: dict[str, str], limit: Saturation | None,
                 mixed: Saturation | None, seconds: float) -> list:
    """Each stream offered at the shares of its own saturation; the limit orders' latency
    runs to their `accepted` event, the mixed stream's to each order's first event."""
    streams = [
        ("new limit orders", limit, accepted_order_id, len,
         lambda n, count: limit_orders(count, seed=10 + n, prefix=f"L{n}-")),
        ("mixed", mixed, order_id, replayed_events,
         lambda n, count: mixed_orders(count, seed=20 + n, symbol=f"MIXED{n}")),
    ]
    rows = []
    for name, saturation, identify, expected, make in streams:
        if saturation is None:
            continue
        for n, share in enumerate(LATENCY_SHARES):
            rate = share * saturation.rate
            records = make(n, max(1, int(rate * seconds)))
            rows.append((name, rate, share, latency(bench, env, records, rate, identify,
                                                    expected(records))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--mixed", type=int, default=20_000)
    parser.add_argument("--latency-seconds", type=float, default=15.0)
    parser.add_argument("--only", default=",".join(ROWS),
                        type=lambda s: set(s.split(",")), help="rows to run")
    parser.add_argument("--faust-env", action="append", default=[], metavar="KEY=VALUE",
                        help="a Faust setting for both Faust workers (repeatable)")
    parser.add_argument("--profile", type=Path, help="save py-spy stacks of the workers here")
    args = parser.parse_args()
    faust_env = dict(item.split("=", 1) for item in args.faust_env)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    records = limit_orders(args.orders, seed=1)
    rows: list[Saturation] = []
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp, kafka.new_topics_deleted(settings):
        bench = Bench(settings, Path(tmp), faust_env, args.profile)
        if "raw" in args.only:
            rows.append(raw_row(bench, records))
        if "noop" in args.only:
            rows.append(noop_row(bench, records))
        if "noop-batch" in args.only:
            rows.append(noop_row(bench, records, batches=True))
        pipeline, lat = pipeline_rows(bench, args)
    rows += pipeline
    print(f"\n`python -m bench.pipeline {' '.join(sys.argv[1:])}`, Faust settings from the "
          f"environment: {faust_env or 'none (the app defaults)'}\n")
    print_saturation(rows)
    if lat:
        print_latency(lat)


if __name__ == "__main__":
    main()

"""Chaos run: a generated stream through real workers that are SIGKILLed again and again.

A dedicated broker (its own ports and data dir, so killing it disturbs nothing else) gets a
mixed stream of every message kind, produced keyed by symbol. While the workers match it,
the driver SIGKILLs a worker each time the committed outputs pass the next threshold,
restarting it alternately on the same data dir and an empty one; for part of the run a
second worker joins and later leaves (rebalances), and the broker itself can be killed and
restarted. Like a supervisor, the driver restarts any worker that stops by itself (a
fail-stop). At the end the committed `trades`, `order-events` and `market-data` must equal
what `order-replay` gives for the same file, per symbol and in order.

`python -m tests.chaos --messages 20000 --kills 20` is the full run (README).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from engine import ORDER_EVENTS, Engine
from services import kafka
from services.config import Settings
from tests.chaos.outputs import Published, differences, group, trade_sequence_gaps
from tests.chaos.streams import chaos_stream, produce_key
from tests.stack.worker import Worker

log = logging.getLogger(__name__)

OUTPUT_TOPICS = ("trades", "order-events", "market-data")
#: The broker's minimum: a killed worker's partitions move on after this many seconds.
SESSION_TIMEOUT_S = 6


@dataclass(frozen=True)
class Plan:
    messages: int = 20_000
    kills: int = 20
    seed: int = 1
    second_worker: bool = True  # joins after the first kill, leaves before the last two
    broker_kill: bool = True  # once, halfway
    timeout_s: float = 600.0


@dataclass
class Report:
    """What happened, for the test's assertions and the README."""

    expected: dict[str, int] = field(default_factory=dict)
    kills: list[dict[str, Any]] = field(default_factory=list)
    restarts: dict[str, int] = field(default_factory=lambda: {"same_dir": 0, "empty_dir": 0})
    fail_stops: int = 0
    broker_kills: int = 0
    rebalances: list[str] = field(default_factory=list)
    seconds: float = 0.0
    differences: list[str] = field(default_factory=list)
    sequence_gaps: list[str] = field(default_factory=list)

    def summary(self) -> str:
        mid_stream = sum(k["committed_after_kill"] < k["expected"] for k in self.kills)
        mid_chunk = sum(k["committed_after_kill"] < k["produced_so_far"] for k in self.kills)
        return (f"{len(self.kills)} worker kills ({mid_stream} with fewer outputs committed "
                f"than the stream gives, {mid_chunk} while the last produced chunk was still "
                f"being matched), restarts "
                f"{self.restarts}, {self.fail_stops} fail-stops restarted, "
                f"{self.broker_kills} broker kill, rebalances: {', '.join(self.rebalances)}; "
                f"expected {self.expected}; {len(self.differences)} differing groups, "
                f"{len(self.sequence_gaps)} trade sequences with gaps; {self.seconds:.0f} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CommittedCounter:
    """Counts the committed (read_committed) records of a topic, in a background thread."""

    def __init__(self, servers: str, topic: str) -> None:
        self.servers, self.topic = servers, topic
        self.count = 0
        self.polls = 0  # how many fetches returned, so a reader can wait for a fresh one
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def __enter__(self) -> CommittedCounter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    async def _run(self) -> None:
        consumer = AIOKafkaConsumer(self.topic, bootstrap_servers=self.servers,
                                    auto_offset_reset="earliest", enable_auto_commit=False,
                                    isolation_level="read_committed")
        await consumer.start()
        try:
            while not self._stop.is_set():
                batches = await consumer.getmany(timeout_ms=300)
                self.count += sum(len(records) for records in batches.values())
                self.polls += 1
        finally:
            await consumer.stop()

    def fresh(self) -> int:
        """The count after one more complete fetch."""
        polls = self.polls
        while self.polls < polls + 2:
            time.sleep(0.05)
        return self.count


class WorkerSlot:
    """One worker identity: restarts on the same data dir or a new empty one."""

    def __init__(self, name: str, root: Path, env: dict[str, str]) -> None:
        self.name, self.root, self.env = name, root, env
        self.generation = 0
        self.worker: Worker | None = None

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.proc is not None \
            and self.worker.proc.poll() is None

    def start(self, empty_dir: bool) -> None:
        if empty_dir:
            self.generation += 1
        data = self.root / f"{self.name}-data-{self.generation}"
        log_file = self.root / f"{self.name}.log"
        self.worker = Worker("app", {**self.env, "FAUST_DATADIR": str(data)}, log_file)
        self.worker.start().wait_ready(timeout=180)

    def kill(self) -> None:
        assert self.worker is not None
        self.worker.kill()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()


class Chaos:
    def __init__(self, plan: Plan, root: Path) -> None:
        self.plan, self.root = plan, root
        self.rng = random.Random(plan.seed)
        self.report = Report()
        self.settings = replace(Settings(), run_dir=root / "services", kafka_port=free_port(),
                                kafka_controller_port=free_port())
        self.servers = kafka.bootstrap(self.settings)
        self.env = {"KAFKA_BROKER": f"kafka://{self.servers}", "WORKER_AGENTS": "engine",
                    "BROKER_SESSION_TIMEOUT": str(SESSION_TIMEOUT_S)}
        self.slots = [WorkerSlot(name, root, self.env) for name in ("a", "b")]

    # -- the run ------------------------------------------------------------------------

    def run(self) -> Report:
        began = time.monotonic()
        stream_file = self.root / "stream.jsonl"
        messages = chaos_stream(self.plan.messages, self.plan.seed)
        stream_file.write_bytes(b"".join(m + b"\n" for m in messages))
        expected = replayed(stream_file)
        self.report.expected = {topic: sum(len(v) for (t, _), v in expected.items()
                                           if t == topic) for topic in OUTPUT_TOPICS}
        with self._broker():
            with CommittedCounter(self.servers, "order-events") as counter:
                try:
                    self._kill_repeatedly(messages, counter)
                    self._wait_for(counter, self.report.expected["order-events"])
                finally:
                    for slot in self.slots:
                        slot.stop()
            live = asyncio.run(read_outputs(self.servers, self.report.expected))
        self.report.differences = differences(live, expected)
        self.report.sequence_gaps = trade_sequence_gaps(live, "trades")
        self.report.seconds = time.monotonic() - began
        return self.report

    def _kill_repeatedly(self, messages: list[bytes], counter: CommittedCounter) -> None:
        """Kill k happens while chunk k of the stream is being matched (mid-stream)."""
        plan, (a, b) = self.plan, self.slots
        chunks = split(messages, plan.kills + 1)
        events = order_events_per_prefix(chunks)
        a.start(empty_dir=True)
        for k in range(plan.kills):
            asyncio.run(produce(self.servers, chunks[k]))
            before = events[k - 1] if k else 0
            self._wait_for(counter, before + (events[k] - before) // 3)
            if plan.second_worker and k == 1:
                b.start(empty_dir=True)
                self.report.rebalances.append(f"b joined before kill {k}")
            if plan.second_worker and k == plan.kills - 2 and b.running:
                b.stop()
                self.report.rebalances.append(f"b left before kill {k}")
            if plan.broker_kill and k == plan.kills // 2:
                self._kill_broker()
            victim = b if b.running and k % 2 else a
            time.sleep(self.rng.uniform(0, 0.05))  # a chunk now takes a fraction of a second
            victim.kill()
            after = counter.fresh()
            empty = k % 2 == 1
            self.report.kills.append({"kill": k, "worker": victim.name,
                                      "committed_after_kill": after,
                                      "produced_so_far": events[k],
                                      "expected": self.report.expected["order-events"],
                                      "restart": "empty_dir" if empty else "same_dir"})
            log.info("kill %d of worker %s at %d committed order events (%d produced so "
                     "far, %d in all); restart on %s data dir", k, victim.name, after,
                     events[k], self.report.expected["order-events"],
                     "an empty" if empty else "the same")
            victim.start(empty_dir=empty)
            self.report.restarts["empty_dir" if empty else "same_dir"] += 1
        asyncio.run(produce(self.servers, chunks[plan.kills]))

    def _kill_broker(self) -> None:
        kafka.kill(self.settings)
        time.sleep(1)
        kafka.start(self.settings)
        self.report.broker_kills += 1
        log.info("broker killed and restarted")

    def _wait_for(self, counter: CommittedCounter, target: int) -> None:
        """Wait until `target` order events are committed, restarting fail-stopped workers."""
        deadline = time.monotonic() + self.plan.timeout_s
        while counter.count < target:
            if time.monotonic() > deadline:
                tails = "\n".join(s.worker.tail() for s in self.slots if s.worker)
                raise TimeoutError(f"{counter.count} of {target} order events committed "
                                   f"after {self.plan.timeout_s}s\n{tails}")
            for slot in self.slots:
                if slot.worker is not None and not slot.running and slot.worker.proc \
                        and slot.worker.proc.returncode not in (None, -9, 0):
                    log.info("worker %s stopped by itself (exit %s): restarting", slot.name,
                             slot.worker.proc.returncode)
                    self.report.fail_stops += 1
                    slot.start(empty_dir=False)
            time.sleep(0.2)

    @contextlib.contextmanager
    def _broker(self) -> Iterator[None]:
        """The dedicated broker, with the app's topics declared on it."""
        saved = os.environ.get("KAFKA_BROKER")
        os.environ["KAFKA_BROKER"] = self.env["KAFKA_BROKER"]  # read by `declare-topics`
        resolved = Settings().service_dir("kafka") / "classpath.txt"
        if resolved.exists():  # the jars are the same: skip Maven's resolution
            shutil.copy2(resolved, self.settings.service_dir("kafka") / "classpath.txt")
        try:
            kafka.start(self.settings)
            yield
        finally:
            kafka.kill(self.settings)
            if saved is None:
                del os.environ["KAFKA_BROKER"]
            else:
                os.environ["KAFKA_BROKER"] = saved


def split(messages: list[bytes], parts: int) -> list[list[bytes]]:
    """Consecutive chunks of about equal size."""
    size = -(-len(messages) // parts)
    return [messages[i:i + size] for i in range(0, len(messages), size)]


def order_events_per_prefix(chunks: list[list[bytes]]) -> list[int]:
    """How many order events the stream up to and including each chunk gives."""
    engine, offset, total, counts = Engine(), 0, 0, []
    for chunk in chunks:
        for raw in chunk:
            total += sum(o.topic == ORDER_EVENTS
                         for o in engine.process(raw, offset=offset, now=0))
            offset += 1
        counts.append(total)
    return counts


def replayed(stream_file: Path) -> Published:
    """What `order-replay` publishes for the file, grouped by topic and key."""
    replay = Path(sys.executable).parent / "order-replay"
    lines = subprocess.run([str(replay), str(stream_file)], capture_output=True, check=True,
                           timeout=600).stdout.splitlines()
    records = (json.loads(line) for line in lines)
    return group((r["topic"], r["key"], r["value"]) for r in records)


async def produce(servers: str, messages: list[bytes]) -> None:
    """Each message keyed by its symbol, so a symbol's messages keep their order."""
    producer = AIOKafkaProducer(bootstrap_servers=servers, enable_idempotence=True,
                                linger_ms=5)
    await producer.start()
    try:
        for message in messages:
            await producer.send("orders", message, key=produce_key(message))
        await producer.flush()
    finally:
        await producer.stop()


async def read_outputs(servers: str, expected: dict[str, int]) -> Published:
    """The committed outputs of every output topic, grouped by topic and key."""
    records = []
    for topic in OUTPUT_TOPICS:
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=servers,
                                    auto_offset_reset="earliest", enable_auto_commit=False,
                                    isolation_level="read_committed")
        await consumer.start()
        try:
            got, quiet = [], 0
            while len(got) < expected[topic] or quiet < 3:  # then a little more: extras?
                batches = await consumer.getmany(timeout_ms=500)
                fetched = [r for batch in batches.values() for r in batch]
                quiet = 0 if fetched else quiet + 1
                got += fetched
                if quiet >= 20:
                    break
        finally:
            await consumer.stop()
        records += [(topic, r.key.decode() if r.key is not None else None, json.loads(r.value))
                    for r in got]
    return group(records)

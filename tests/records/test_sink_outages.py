"""The sink through crashes: `kill -9` of its worker, and of Cassandra, mid-stream.

Cassandra is killed on a node of the test's own (its own ports and data dir), never the
shared one; the sink must wait, keep its offsets, and end with the tables equal to the
replay while the matcher goes on publishing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from services import cassandra
from services.config import Settings
from tests.kafka_io import read_all
from tests.records.stack import wait_until
from tests.records.test_sink_stack import CATCH_UP_S, assert_records, keyspace_env, start_stream
from tests.stack.worker import Worker

#: Shorter than the 20,000 of the stack test, so both kills fit the suite's time budget
#: (a kill mid-stream needs only a stream long enough to be killed in the middle of).
OUTAGE_MESSAGES = int(os.environ.get("SINK_OUTAGE_MESSAGES", 5_000))

pytestmark = pytest.mark.services


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def some_trades_written(settings: Settings, timeout: float = 300) -> bool:
    with cassandra.session(settings) as sess:
        return wait_until(lambda: sess.execute(
            f"SELECT seq FROM {settings.cassandra_keyspace}.order_history LIMIT 1").one()
            is not None, timeout, every=1)


def test_killed_sink_worker_resumes_from_its_committed_offsets(
        stack_env: dict[str, str], sink_keyspace: Settings, kafka_bootstrap: str,
        tmp_path: Path) -> None:
    """The sink in workers of its own; the first is SIGKILLed, a replacement finishes."""
    env = {**stack_env, **keyspace_env(sink_keyspace)}
    engine = Worker("app", {**env, "WORKER_AGENTS": "engine"},
                    tmp_path / "engine.log").start().wait_ready()
    sink_env = {**env, "WORKER_AGENTS": "sink", "FAUST_DATADIR": str(tmp_path / "sink-1")}
    first = Worker("app", sink_env, tmp_path / "sink-1.log").start().wait_ready()
    try:
        expected = start_stream(env, kafka_bootstrap, OUTAGE_MESSAGES)
        assert some_trades_written(sink_keyspace), first.tail()
        first.kill()
        replacement = Worker("app", {**sink_env, "FAUST_DATADIR": str(tmp_path / "sink-2")},
                             tmp_path / "sink-2.log").start().wait_ready()
        try:
            assert_records(sink_keyspace, expected, engine, replacement)
        finally:
            replacement.stop()
    finally:
        first.kill()
        engine.stop()


@pytest.fixture
def own_cassandra(tmp_path: Path, run_id: str) -> Iterator[Settings]:
    """A Cassandra node of this test's own, on free ports, with the schema applied."""
    base = Settings()
    settings = dataclasses.replace(base, run_dir=tmp_path / "services",
                                   cassandra_port=free_port(),
                                   cassandra_storage_port=free_port(),
                                   cassandra_keyspace=f"sink_{run_id}")
    resolved = base.run_dir / "cassandra" / "classpath.txt"
    if resolved.exists():  # skip resolving the jars with Maven again
        shutil.copy(resolved, settings.service_dir("cassandra") / "classpath.txt")
    cassandra.start(settings)
    try:
        cassandra.apply_schema(settings)
        yield settings
    finally:
        cassandra.stop(settings)


def test_cassandra_killed_mid_stream_the_sink_waits_and_catches_up(
        stack_env: dict[str, str], own_cassandra: Settings, kafka_bootstrap: str,
        tmp_path: Path) -> None:
    env = {**stack_env, **keyspace_env(own_cassandra)}
    worker = Worker("app", env, tmp_path / "worker.log").start().wait_ready()
    try:
        expected = start_stream(env, kafka_bootstrap, OUTAGE_MESSAGES)
        assert some_trades_written(own_cassandra), worker.tail()
        cassandra.kill(own_cassandra)
        down_at = time.monotonic()
        # The matcher goes on: every trade of the stream is published while the node is down.
        trades = asyncio.run(read_all(kafka_bootstrap, env["TRADES_TOPIC"],
                                      len(expected.trades), committed_only=True,
                                      timeout=CATCH_UP_S))
        assert len(trades) == len(expected.trades), worker.tail()
        assert wait_until(lambda: b"waiting for Cassandra" in worker.log_file.read_bytes(),
                          60, every=1), worker.tail()
        print(f"node down for {time.monotonic() - down_at:.0f} s")
        cassandra.start(own_cassandra)
        assert_records(own_cassandra, expected, worker)
    finally:
        worker.stop()

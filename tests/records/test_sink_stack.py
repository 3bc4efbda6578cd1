"""The Cassandra sink on the real broker and node: a mixed stream's records equal the replay.

Every test runs the engine's own worker on fresh topics, produces a generated stream of
every message kind keyed by symbol, and compares the three tables with what the replay code
(`Engine.process`, the core of `order-replay`) says the engine published.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from services import cassandra
from services.config import Settings
from tests.records.stack import (
    Expected,
    everything,
    expected_tables,
    mixed_lines,
    produce,
    tables,
    unwritten,
    wait_until,
)
from tests.stack.worker import Worker

pytestmark = pytest.mark.services

MESSAGES = int(os.environ.get("SINK_TEST_MESSAGES", 20_000))
CATCH_UP_S = float(os.environ.get("SINK_TEST_CATCH_UP_S", 1800))


def start_stream(env: dict[str, str], servers: str, messages: int = MESSAGES) -> Expected:
    lines = mixed_lines(messages)
    positions = asyncio.run(produce(servers, env["ORDERS_TOPIC"], lines))
    return Expected(lines, positions, env["ORDERS_TOPIC"])


def keyspace_env(settings: Settings) -> dict[str, str]:
    return {"CASSANDRA_KEYSPACE": settings.cassandra_keyspace,
            "CASSANDRA_PORT": str(settings.cassandra_port)}


def assert_records(settings: Settings, expected: Expected, *workers: Worker) -> None:
    """Wait until the tables hold what the replay says, then compare (a diff on failure)."""
    want = expected_tables(expected)
    with cassandra.session(settings) as sess:
        wait_until(lambda: tables(sess, settings.cassandra_keyspace) == want, CATCH_UP_S)
        got = tables(sess, settings.cassandra_keyspace)
    logs = "\n".join(worker.tail() for worker in workers)
    assert got["history"] == want["history"], logs
    assert got["active"] == want["active"], logs
    assert got["completed"] == want["completed"], logs


def test_tables_equal_the_replay_and_a_rerun_changes_nothing(
        stack_env: dict[str, str], sink_keyspace: Settings, kafka_bootstrap: str,
        tmp_path: Path) -> None:
    env = {**stack_env, **keyspace_env(sink_keyspace)}
    worker = Worker("app", env, tmp_path / "worker.log").start().wait_ready()
    try:
        expected = start_stream(env, kafka_bootstrap)
        statuses = {row[6] for row in expected.completed().values()}
        assert statuses == {"filled", "cancelled", "expired", "rejected"}  # every kind came
        assert_records(sink_keyspace, expected, worker)
    finally:
        worker.stop()

    with cassandra.session(sink_keyspace) as sess:
        before = everything(sess, sink_keyspace.cassandra_keyspace)
        # A sink of its own (a new consumer group) reads both topics again from the start.
        rerun_env = {**env, "WORKER_AGENTS": "sink", "SINK_APP_ID": f"{env['APP_ID']}-rerun",
                     "FAUST_DATADIR": str(tmp_path / "data-rerun")}
        rerun = Worker("app", rerun_env, tmp_path / "rerun.log").start().wait_ready()
        try:
            topics = [env["TRADES_TOPIC"], env["ORDER_EVENTS_TOPIC"]]
            caught_up = wait_until(lambda: asyncio.run(unwritten(
                kafka_bootstrap, rerun_env["SINK_APP_ID"], topics)) == 0, CATCH_UP_S)
            assert caught_up, rerun.tail()
        finally:
            rerun.stop()
        assert everything(sess, sink_keyspace.cassandra_keyspace) == before

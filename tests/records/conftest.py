"""Fixtures of the sink's stack tests: fresh topics, a fresh keyspace, worker environments."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services import cassandra, kafka
from services.config import Settings


@pytest.fixture
def run_id() -> str:
    return uuid.uuid4().hex[:8]


def keyspace_settings(base: Settings, run_id: str) -> Settings:
    return dataclasses.replace(base, cassandra_keyspace=f"sink_{run_id}")


@pytest.fixture
def sink_keyspace(run_id: str) -> Iterator[Settings]:
    """A keyspace of this test's own on the shared node, dropped afterwards."""
    settings = keyspace_settings(Settings(), run_id)
    cassandra.apply_schema(settings)
    yield settings
    with cassandra.session(settings) as sess:
        sess.execute(f"DROP KEYSPACE IF EXISTS {settings.cassandra_keyspace}", timeout=60)


@pytest.fixture
def stack_env(kafka_bootstrap: str, settings: Settings, tmp_path: Path,
              run_id: str) -> dict[str, str]:
    """A whole engine's environment on fresh topics (keyspace and Cassandra left to tests)."""
    env = {
        "KAFKA_BROKER": f"kafka://{kafka_bootstrap}",
        "APP_ID": f"sink-test-{run_id}",
        "ORDERS_TOPIC": f"orders-{run_id}",
        "TRADES_TOPIC": f"trades-{run_id}",
        "ORDER_EVENTS_TOPIC": f"order-events-{run_id}",
        "MARKET_DATA_TOPIC": f"market-data-{run_id}",
        "COMMANDS_TOPIC": f"sink-test-{run_id}-commands",
        "FAUST_DATADIR": str(tmp_path / "data-1"),
        "BROKER_SESSION_TIMEOUT": "10",
        "SINK_RETRY_MAX_S": "2",
    }
    public = [env[name] for name in env if name.endswith("_TOPIC") and name != "COMMANDS_TOPIC"]
    kafka.create_topics(settings, public)
    kafka.declare_app_topics(env)
    return env

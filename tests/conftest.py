"""Fixtures shared by the tests that talk to the real local Kafka and Cassandra.

`make test` starts the services before pytest; the fixtures call the same idempotent
`start`, so a test file also runs alone against servers it brings up itself.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

import pytest
from cassandra.cluster import Session

from services import cassandra, kafka
from services.config import Settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def kafka_bootstrap(settings: Settings) -> str:
    kafka.start(settings)
    return kafka.bootstrap(settings)


@pytest.fixture
def topic_name(request: pytest.FixtureRequest) -> str:
    """A fresh topic per test, so reruns never read an earlier run's records."""
    return f"test-{request.node.name[:40]}-{uuid.uuid4().hex[:8]}".replace("[", "-").replace(
        "]", ""
    )


@pytest.fixture(scope="session")
def cassandra_settings() -> Settings:
    """Settings whose keyspace is a test-only one; ports and dirs are the real node's."""
    base = Settings()
    return dataclasses.replace(base, cassandra_keyspace=f"{base.cassandra_keyspace}_test")


@pytest.fixture(scope="session")
def cassandra_session(cassandra_settings: Settings) -> Iterator[Session]:
    """The running node (started here if `make test` did not), with the schema applied."""
    cassandra.start(cassandra_settings)  # idempotent: a no-op when already up
    cassandra.apply_schema(cassandra_settings)
    with cassandra.session(cassandra_settings) as sess:
        yield sess

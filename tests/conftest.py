"""Fixtures shared by the tests that talk to the real local Kafka and Cassandra.

`make test` starts the services before pytest; the fixtures call the same idempotent
`start`, so a test file also runs alone against servers it brings up itself.
"""

from __future__ import annotations

import uuid

import pytest

from services import kafka
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

"""Fixtures for the engine tests."""

import pytest
from engine_testkit import Session


@pytest.fixture
def session() -> Session:
    return Session()

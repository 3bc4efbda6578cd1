"""Fixtures for the engine tests."""

import pytest
from engine_testkit import Session

import engine.book


def pytest_report_header() -> str:
    """Say which build the engine tests run against (``make test-accel``: mypyc)."""
    compiled = not engine.book.__file__.endswith(".py")
    return f"engine: {'mypyc-compiled' if compiled else 'pure Python'} ({engine.book.__file__})"


@pytest.fixture
def session() -> Session:
    return Session()

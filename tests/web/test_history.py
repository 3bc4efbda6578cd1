"""The page's reader of a user's orders fails fast when Cassandra is not there."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import time

import pytest

from services.config import Settings
from web.history import UserHistory


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_cassandra_is_an_error_at_once_and_the_next_request_tries_again() -> None:
    unreachable = dataclasses.replace(Settings(), cassandra_host="127.0.0.1",
                                      cassandra_port=closed_port())

    async def ask_twice() -> None:
        history = UserHistory(unreachable)
        for _ in range(2):
            started = time.monotonic()
            with pytest.raises(Exception) as raised:
                await history.user_orders("alice")
            assert time.monotonic() - started < 5, raised.value
        await history.on_stop()

    asyncio.run(ask_twice())

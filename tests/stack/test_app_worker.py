"""The engine's own worker, as `make run` starts it, answers on its web port."""

from __future__ import annotations

import socket
import time
import urllib.request
from pathlib import Path

import pytest

from tests.stack.worker import Worker

pytestmark = pytest.mark.services


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_status(url: str, timeout: float) -> int | None:
    """The first answer's status within `timeout`, or None if nothing answered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                return reply.status
        except OSError:
            time.sleep(0.5)
    return None


def test_app_worker_serves_its_web_page(kafka_bootstrap: str, tmp_path: Path) -> None:
    port = free_port()
    env = {"KAFKA_BROKER": f"kafka://{kafka_bootstrap}", "FAUST_DATADIR": str(tmp_path / "data"),
           "APP_ID": f"web-test-{port}"}
    worker = Worker("app", env, tmp_path / "worker.log",
                    extra_args=("--web-port", str(port), "--web-host", "127.0.0.1")).start()
    try:
        assert http_status(f"http://127.0.0.1:{port}/", timeout=90) == 200, worker.tail()
    finally:
        worker.stop()

"""The engine's own worker, as `make run` starts it, answers on its web port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.services

FAUST = Path(sys.executable).parent / "faust"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_app_worker_serves_its_web_page(kafka_bootstrap: str, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "KAFKA_BROKER": f"kafka://{kafka_bootstrap}",
           "FAUST_DATADIR": str(tmp_path / "data"), "APP_ID": f"web-test-{port}"}
    with (tmp_path / "worker.log").open("wb") as log:
        worker = subprocess.Popen(
            [str(FAUST), "-A", "app", "worker", "-l", "info", "--web-port", str(port),
             "--web-host", "127.0.0.1"],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[2],
        )
    try:
        status = None
        deadline = time.monotonic() + 90
        while status is None and time.monotonic() < deadline and worker.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as reply:
                    status = reply.status
            except OSError:
                time.sleep(0.5)
        assert status == 200, (tmp_path / "worker.log").read_text()[-3000:]
    finally:
        worker.terminate()
        worker.wait(timeout=60)

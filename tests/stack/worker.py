"""Run a real `faust ... worker` as a child process: start, wait until ready, kill, stop.

`argv` runs another command under the same control (benchmarks' plain aiokafka loops); it
must log `Worker ready` as Faust does once it consumes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from services import kafka
from services.config import Settings

FAUST = Path(sys.executable).parent / "faust"
REPO = Path(__file__).parents[2]


class Worker:
    """One worker process whose log goes to a file the test can show when it fails."""

    def __init__(self, app: str, env: dict[str, str], log_file: Path,
                 extra_args: tuple[str, ...] = ("--without-web",),
                 argv: list[str] | None = None) -> None:
        self.app, self.env, self.log_file, self.extra_args = app, env, log_file, extra_args
        self.argv = argv or [str(FAUST), "-A", app, "worker", "-l", "info", *extra_args]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        with self.log_file.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
                start_new_session=True,
            )
        return self

    def wait_ready(self, timeout: float = 120.0) -> Worker:
        """Faust logs `Worker ready` once its tables are recovered and streams started."""
        seen = self.log_file.stat().st_size if self.log_file.exists() else 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None and self.proc.poll() is None, self.tail()
            if b"Worker ready" in self.log_file.read_bytes()[seen:]:
                return self
            time.sleep(0.3)
        raise TimeoutError(f"worker not ready after {timeout}s\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL the whole process group, as a crash or an OOM killer would."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, chars: int = 4000) -> str:
        return self.log_file.read_text(errors="replace")[-chars:] if self.log_file.exists() else ""


def isolated_env(bootstrap: str, settings: Settings, data_dir: Path,
                 topic_config: dict[str, str] | None = None) -> dict[str, str]:
    """Settings for a worker of its own: fresh app id and topics, created as provisioning does
    (the public ones with `topic_config`, if given).

    The app id and topic names are new on every call, so a rerun never reads an earlier
    run's records, and several workers given the same env form one group.
    """
    run = uuid.uuid4().hex[:8]
    env = {
        "KAFKA_BROKER": f"kafka://{bootstrap}",
        "APP_ID": f"matching-{run}",
        "ORDERS_TOPIC": f"orders-{run}",
        "TRADES_TOPIC": f"trades-{run}",
        "ORDER_EVENTS_TOPIC": f"order-events-{run}",
        "MARKET_DATA_TOPIC": f"market-data-{run}",
        "COMMANDS_TOPIC": f"matching-{run}-commands",
        "FAUST_DATADIR": str(data_dir),
        "BROKER_SESSION_TIMEOUT": "10",  # a killed worker's partitions move on sooner
    }
    public = [env[name] for name in env if name.endswith("_TOPIC") and name != "COMMANDS_TOPIC"]
    kafka.create_topics(settings, public, topic_config)
    kafka.declare_app_topics(env)  # commands and changelogs, as provisioning does
    return env

"""Run a Java server from jars that Maven resolved: classpath, detached start, wait, stop."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

log = logging.getLogger(__name__)


class ServiceError(RuntimeError):
    """A service could not be brought up or down; the message says why and what to do."""


def require_tool(name: str) -> str:
    """Fail at once with a clear message instead of a confusing traceback later."""
    path = shutil.which(name)
    if path is None:
        raise ServiceError(f"`{name}` is not on PATH: install OpenJDK 17 and Maven first")
    return path


def resolve_classpath(pom: Path, out_file: Path) -> str:
    """Resolve the pom's dependencies from Maven Central once and cache the classpath string."""
    if out_file.exists() and out_file.stat().st_mtime >= pom.stat().st_mtime:
        return out_file.read_text().strip()
    require_tool("java")
    mvn = require_tool("mvn")
    log.info("resolving %s from Maven Central", pom.name)
    result = subprocess.run(
        [mvn, "-q", "-B", "-f", str(pom), "dependency:build-classpath",
         f"-Dmdep.outputFile={out_file}"],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0 or not out_file.exists():
        raise ServiceError(
            f"Maven could not resolve {pom}:\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )
    return out_file.read_text().strip()


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def ensure_ports_free(host: str, ports: Sequence[int], owner: str) -> None:
    taken = [port for port in ports if port_open(host, port)]
    if taken:
        raise ServiceError(
            f"{owner}: port(s) {taken} on {host} are already taken by another process; "
            "stop it or choose other ports with the environment variables in the README"
        )


class JavaProcess:
    """A detached JVM with a pid file, so `start` and `stop` can run in different commands."""

    def __init__(self, name: str, workdir: Path) -> None:
        self.name = name
        self.workdir = workdir
        self.pid_file = workdir / f"{name}.pid"
        self.log_file = workdir / f"{name}.out"

    @property
    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text())
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        if _is_zombie(pid):
            return None
        return pid

    def is_running(self) -> bool:
        return self.pid is not None

    def start(self, java_args: Sequence[str]) -> None:
        java = require_tool("java")
        with self.log_file.open("ab") as out:
            proc = subprocess.Popen(
                [java, *java_args], cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))
        log.info("%s started, pid %d, log %s", self.name, proc.pid, self.log_file)

    def wait_until(self, ready: Callable[[], bool], timeout: float, what: str) -> float:
        """Poll `ready` until it is true; fail fast if the JVM died. Returns seconds waited."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if not self.is_running():
                raise ServiceError(f"{self.name} exited while starting; see {self.log_file}:\n"
                                   + self.tail())
            try:
                if ready():
                    return time.monotonic() - started
            except Exception as exc:  # a probe failing is the normal "not yet"
                log.debug("%s not ready: %s", self.name, exc)
            time.sleep(0.5)
        raise ServiceError(f"{self.name} did not {what} within {timeout:.0f}s; see {self.log_file}")

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM for a clean shutdown, SIGKILL only if it does not come."""
        pid = self.pid
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.is_running():
            time.sleep(0.2)
        if self.is_running():
            log.warning("%s ignored SIGTERM for %.0fs, killing it", self.name, timeout)
            os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)

    def kill(self, timeout: float = 15.0) -> None:
        """SIGKILL, as a crash would (for fault-injection tests); returns once it is gone."""
        pid = self.pid
        if pid is not None:
            os.killpg(pid, signal.SIGKILL)
            deadline = time.monotonic() + timeout
            while self.is_running() and time.monotonic() < deadline:
                time.sleep(0.1)
        self.pid_file.unlink(missing_ok=True)

    def rss_bytes(self) -> int | None:
        pid = self.pid
        if pid is None:
            return None
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return None

    def tail(self, lines: int = 30) -> str:
        return tail(self.log_file, lines)


def tail(path: Path, lines: int = 40) -> str:
    """The end of a log file, for error messages that show why a server did not come up."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log yet)"


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"

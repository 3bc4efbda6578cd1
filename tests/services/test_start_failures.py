"""Start-up fails fast with a message that names the cause: never a hang, never a traceback."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from services import cassandra, kafka
from services.config import Settings
from services.jvm import ServiceError, resolve_classpath


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.fixture
def isolated(tmp_path: Path) -> Settings:
    """Settings with their own data dir, so nothing touches the real servers' state."""
    return dataclasses.replace(Settings(), run_dir=tmp_path / "run")


def test_kafka_on_a_taken_port_says_which_port(isolated: Settings, taken_port: int) -> None:
    settings = dataclasses.replace(isolated, kafka_port=taken_port)
    with pytest.raises(ServiceError, match=rf"port\(s\) \[{taken_port}"):
        kafka.start(settings)


def test_cassandra_on_a_taken_port_says_which_port(isolated: Settings, taken_port: int) -> None:
    settings = dataclasses.replace(isolated, cassandra_port=taken_port)
    with pytest.raises(ServiceError, match=rf"port\(s\) \[{taken_port}"):
        cassandra.start(settings)


def test_missing_java_is_named(isolated: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ServiceError, match="`java` is not on PATH"):
        kafka.classpath(isolated)


def test_failed_download_reports_maven_error(tmp_path: Path) -> None:
    pom = tmp_path / "pom.xml"
    pom.write_text(
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        "<groupId>local.test</groupId><artifactId>missing</artifactId><version>1</version>"
        "<packaging>pom</packaging><dependencies><dependency>"
        "<groupId>org.apache.kafka</groupId><artifactId>no-such-artifact-here</artifactId>"
        "<version>0.0.1</version></dependency></dependencies></project>"
    )
    with pytest.raises(ServiceError, match="Maven could not resolve") as failure:
        resolve_classpath(pom, tmp_path / "classpath.txt")
    assert "no-such-artifact-here" in str(failure.value)

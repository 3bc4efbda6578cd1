"""Where the local services live and which ports they use, all from environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVICES_DIR = Path(__file__).resolve().parent
CONF_DIR = SERVICES_DIR / "conf"
MAVEN_DIR = SERVICES_DIR / "maven"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class Settings:
    """One place for every knob; defaults suit a 2-core, 24 GiB machine."""

    run_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("SERVICES_DIR", REPO_ROOT / ".run")).resolve()
    )
    host: str = field(default_factory=lambda: os.environ.get("SERVICES_HOST", "127.0.0.1"))
    #: Where clients find the servers: the local ones by default, others (compose) by name.
    kafka_host: str = field(
        default_factory=lambda: os.environ.get("KAFKA_HOST", os.environ.get("SERVICES_HOST",
                                                                           "127.0.0.1"))
    )
    cassandra_host: str = field(
        default_factory=lambda: os.environ.get("CASSANDRA_HOST",
                                               os.environ.get("SERVICES_HOST", "127.0.0.1"))
    )
    kafka_port: int = field(default_factory=lambda: _env_int("KAFKA_PORT", 9092))
    kafka_controller_port: int = field(
        default_factory=lambda: _env_int("KAFKA_CONTROLLER_PORT", 9093)
    )
    kafka_heap: str = field(default_factory=lambda: os.environ.get("KAFKA_HEAP", "512m"))
    topic_partitions: int = field(default_factory=lambda: _env_int("TOPIC_PARTITIONS", 8))
    cassandra_port: int = field(default_factory=lambda: _env_int("CASSANDRA_PORT", 9042))
    cassandra_storage_port: int = field(
        default_factory=lambda: _env_int("CASSANDRA_STORAGE_PORT", 7000)
    )
    cassandra_heap: str = field(default_factory=lambda: os.environ.get("CASSANDRA_HEAP", "1G"))
    cassandra_keyspace: str = field(
        default_factory=lambda: os.environ.get("CASSANDRA_KEYSPACE", "matching")
    )
    #: The keyspace's replication map, as CQL (NetworkTopologyStrategy in production, README).
    cassandra_replication: str = field(
        default_factory=lambda: os.environ.get(
            "CASSANDRA_REPLICATION", "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    )
    start_timeout: float = field(
        default_factory=lambda: float(os.environ.get("SERVICES_START_TIMEOUT", 180))
    )

    def service_dir(self, name: str) -> Path:
        """Data, logs, pid file and resolved classpath of one service."""
        path = self.run_dir / name
        path.mkdir(parents=True, exist_ok=True)
        return path

"""The real `faust worker`: exactly-once, a RocksDB (rocksdict) table, the real broker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services import kafka
from tests.kafka_io import read_all, send
from tests.stack.worker import Worker

pytestmark = pytest.mark.services


@pytest.fixture
def probe_worker(kafka_bootstrap: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    run_id = uuid.uuid4().hex[:8]
    env = {
        "KAFKA_BROKER": f"kafka://{kafka_bootstrap}",
        "PROBE_APP_ID": f"probe-{run_id}",
        "PROBE_SOURCE": f"probe-in-{run_id}",
        "PROBE_OUTPUT": f"probe-out-{run_id}",
        "FAUST_DATADIR": str(tmp_path / "data"),
    }
    worker = Worker("tests.stack.probe_app", env, tmp_path / "worker.log").start()
    try:
        yield env
    finally:
        worker.stop()
        print(worker.tail())


def test_worker_counts_in_rocksdb_table_and_publishes_read_committed(
    probe_worker: dict[str, str], kafka_bootstrap: str
) -> None:
    source, output = probe_worker["PROBE_SOURCE"], probe_worker["PROBE_OUTPUT"]
    asyncio.run(send(kafka_bootstrap, source, [(b"AAPL", b"hello")] * 2))

    records = asyncio.run(read_all(kafka_bootstrap, output, expected=2, committed_only=True,
                                   timeout=120))

    assert records == [(b"AAPL", b"1"), (b"AAPL", b"2")]
    changelog = f"{probe_worker['PROBE_APP_ID']}-probe-counts-changelog"
    assert changelog in asyncio.run(kafka.topic_names(kafka_bootstrap))
    table_dirs = list(Path(probe_worker["FAUST_DATADIR"]).rglob("probe-counts*.db"))
    assert table_dirs, "the table should live in RocksDB files under the worker's datadir"

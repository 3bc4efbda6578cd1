"""The real `faust worker`: exactly-once, a RocksDB (rocksdict) table, the real broker."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from tests.services.test_kafka import read_all

pytestmark = pytest.mark.services

FAUST = Path(sys.executable).parent / "faust"


@pytest.fixture
def probe_worker(kafka_bootstrap: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    run_id = uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        "KAFKA_BROKER": f"kafka://{kafka_bootstrap}",
        "PROBE_APP_ID": f"probe-{run_id}",
        "PROBE_SOURCE": f"probe-in-{run_id}",
        "PROBE_OUTPUT": f"probe-out-{run_id}",
        "FAUST_DATADIR": str(tmp_path / "data"),
    }
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [str(FAUST), "-A", "tests.stack.probe_app", "worker", "-l", "info", "--without-web"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[2],
    )
    try:
        yield env
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
        print((tmp_path / "worker.log").read_text()[-3000:])


async def _send(servers: str, topic: str, key: bytes, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=servers)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def _topics(servers: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


def test_worker_counts_in_rocksdb_table_and_publishes_read_committed(
    probe_worker: dict[str, str], kafka_bootstrap: str
) -> None:
    source, output = probe_worker["PROBE_SOURCE"], probe_worker["PROBE_OUTPUT"]
    for _ in range(2):
        asyncio.run(_send(kafka_bootstrap, source, b"AAPL", b"hello"))

    records = asyncio.run(read_all(kafka_bootstrap, output, expected=2, committed_only=True,
                                   timeout=120))

    assert records == [(b"AAPL", b"1"), (b"AAPL", b"2")]
    changelog = f"{probe_worker['PROBE_APP_ID']}-probe-counts-changelog"
    assert changelog in asyncio.run(_topics(kafka_bootstrap))
    table_dirs = list(Path(probe_worker["FAUST_DATADIR"]).rglob("probe-counts*.db"))
    assert table_dirs, "the table should live in RocksDB files under the worker's datadir"

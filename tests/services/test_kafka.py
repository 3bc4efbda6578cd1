"""The real broker: Apache's console producer, transactions, topics created at start."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from app import settings as app_settings
from services import kafka
from tests.kafka_io import read_all

pytestmark = pytest.mark.services

CONSOLE_PRODUCER = Path(sys.executable).parent / "kafka-console-producer"


def test_console_producer_line_is_read_back_by_aiokafka(kafka_bootstrap: str,
                                                          topic_name: str) -> None:
    line = ('AAPL|{"order_id": "c-1", "user_id": "alice", "symbol": "AAPL", "side": "buy", '
            '"price": "189.25", "quantity": 100}\n')
    subprocess.run(
        [str(CONSOLE_PRODUCER), "--bootstrap-server", kafka_bootstrap, "--topic", topic_name,
         "--property", "parse.key=true", "--property", "key.separator=|"],
        input=line, text=True, check=True, timeout=120,
    )
    records = asyncio.run(read_all(kafka_bootstrap, topic_name, expected=1))
    assert records == [(b"AAPL", line.split("|", 1)[1].rstrip("\n").encode())]


def test_transaction_commit_is_visible_and_abort_is_not(kafka_bootstrap: str,
                                                       topic_name: str) -> None:
    async def scenario() -> list[tuple[bytes | None, bytes]]:
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap,
                                    transactional_id=f"{topic_name}-tx")
        await producer.start()
        try:
            async with producer.transaction():
                await producer.send_and_wait(topic_name, b"committed", key=b"k")
            await producer.begin_transaction()
            await producer.send_and_wait(topic_name, b"aborted", key=b"k")
            await producer.abort_transaction()
            async with producer.transaction():
                await producer.send_and_wait(topic_name, b"after", key=b"k")
        finally:
            await producer.stop()
        return await read_all(kafka_bootstrap, topic_name, expected=2, committed_only=True)

    assert [value for _, value in asyncio.run(scenario())] == [b"committed", b"after"]


def test_engine_topics_exist_with_configured_partitions(kafka_bootstrap: str, settings) -> None:
    async def describe() -> dict[str, int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        await admin.start()
        try:
            described = await admin.describe_topics(list(app_settings.PUBLIC_TOPICS))
        finally:
            await admin.close()
        return {t["topic"]: len(t["partitions"]) for t in described}

    partitions = asyncio.run(describe())
    assert partitions == {name: settings.topic_partitions for name in app_settings.PUBLIC_TOPICS}


def test_start_is_idempotent_when_the_broker_answers(settings) -> None:
    info = kafka.start(settings)
    assert info["cold_start_s"] == 0.0
    assert "ready" in kafka.status(settings)

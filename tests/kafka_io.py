"""Small aiokafka helpers for tests that talk to the real broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

Record = tuple[bytes | None, bytes]


async def read_all(servers: str, topic: str, expected: int, *, committed_only: bool = False,
                   timeout: float = 20.0) -> list[Record]:
    """Read a topic from the start until `expected` records came or `timeout` passed."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=servers, auto_offset_reset="earliest", enable_auto_commit=False,
        isolation_level="read_committed" if committed_only else "read_uncommitted",
    )
    await consumer.start()
    records: list[Record] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(records) < expected and loop.time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            records += [(r.key, r.value) for batch in batches.values() for r in batch]
    finally:
        await consumer.stop()
    return records


@asynccontextmanager
async def producer(servers: str) -> AsyncIterator[AIOKafkaProducer]:
    """An idempotent producer: each partition keeps the order of the sends."""
    started = AIOKafkaProducer(bootstrap_servers=servers, enable_idempotence=True)
    await started.start()
    try:
        yield started
    finally:
        await started.stop()


async def send(servers: str, topic: str, records: Iterable[Record]) -> None:
    """Produce records in order and wait until the broker has them all (batched)."""
    async with producer(servers) as sending:
        sent = [await sending.send(topic, value, key=key) for key, value in records]
        await asyncio.gather(*sent)


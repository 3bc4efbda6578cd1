"""The ceiling of Python on this broker: a plain aiokafka transactional copy loop.

Usage: ``python -m bench.raw_copy SERVERS SOURCE SINK GROUP``. Consumes `SOURCE`
read-committed in batches of up to `BATCH_RECORDS` records and copies each batch to `SINK`
in one transaction with its offsets (`send_offsets_to_transaction`), the producer lingering
`LINGER_MS`. Logs `Worker ready` once it owns its partitions, like a Faust worker, so
`tests.stack.worker.Worker` can run it.
"""

from __future__ import annotations

import asyncio
import sys

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord

BATCH_RECORDS = 2_000
LINGER_MS = 5
MAX_BATCH_BYTES = 512 * 1024


async def copy_batch(producer: AIOKafkaProducer, sink: str, group: str,
                     batches: dict[TopicPartition, list[ConsumerRecord]]) -> None:
    """One transaction: the records and the offsets after them."""
    async with producer.transaction():
        for records in batches.values():
            for record in records:
                await producer.send(sink, record.value, key=record.key)
        offsets = {tp: records[-1].offset + 1 for tp, records in batches.items()}
        await producer.send_offsets_to_transaction(offsets, group)


async def run(servers: str, source: str, sink: str, group: str) -> None:
    consumer = AIOKafkaConsumer(source, bootstrap_servers=servers, group_id=group,
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                isolation_level="read_committed")
    producer = AIOKafkaProducer(bootstrap_servers=servers, transactional_id=f"{group}-copy",
                                linger_ms=LINGER_MS, max_batch_size=MAX_BATCH_BYTES, acks="all")
    await consumer.start()
    await producer.start()
    try:
        while not consumer.assignment():  # the group join: not part of the measurement
            await consumer.getmany(timeout_ms=100)
        print("Worker ready", flush=True)
        while True:
            batches = await consumer.getmany(timeout_ms=100, max_records=BATCH_RECORDS)
            if batches:
                await copy_batch(producer, sink, group, batches)
    finally:
        await producer.stop()
        await consumer.stop()


if __name__ == "__main__":
    asyncio.run(run(*sys.argv[1:5]))

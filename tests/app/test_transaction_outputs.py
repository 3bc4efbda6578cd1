"""`app.transaction_outputs` against the real broker: batches handed to a transactional
producer land where `send` would put them, in send order, and their offsets are exact."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from app.transaction_outputs import PartitionMemo, PendingRecords, highest_offsets
from services import kafka
from services.config import Settings


async def _read_committed(servers: str, topic: str, expected: int) -> list:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=servers,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                isolation_level="read_committed")
    await consumer.start()
    records: list = []
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while len(records) < expected and asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            records += [record for batch in batches.values() for record in batch]
    finally:
        await consumer.stop()
    return records


async def _hand_over_in_transaction(servers: str, sends: list[tuple], max_batch_size: int,
                                    abort_first: bool = False) -> tuple[dict, dict]:
    """Hand `sends` over in one committed transaction (after an aborted one, if asked);
    returns the highest offsets and where `send` itself put each keyed record."""
    producer = AIOKafkaProducer(bootstrap_servers=servers, max_batch_size=max_batch_size,
                                transactional_id=f"test-{uuid.uuid4().hex[:8]}")
    await producer.start()
    try:
        pending = PendingRecords(PartitionMemo())
        if abort_first:
            await producer.begin_transaction()
            for topic, key, value, partition in sends:
                pending.add(topic, key, value, partition)
            await asyncio.gather(*(b.future for b in await pending.hand_over(producer)))
            await producer.abort_transaction()
        await producer.begin_transaction()
        for topic, key, value, partition in sends:
            pending.add(topic, key, value, partition)
        assert len(pending) == len(sends)
        sent = await pending.hand_over(producer)
        assert len(pending) == 0
        written = await asyncio.gather(*(batch.future for batch in sent))
        await producer.commit_transaction()
        expected = {key: producer._partition(topic, None, key, None, key, None)
                    for topic, key, _, partition in sends if partition is None}
        return highest_offsets(sent, written), expected
    finally:
        await producer.stop()


def test_batches_keep_send_order_partitions_and_offsets(kafka_bootstrap: str,
                                                        topic_name: str) -> None:
    settings = Settings()
    kafka.create_topics(settings, [topic_name])
    keys = [f"SYM{i}".encode() for i in range(5)]
    sends = [(topic_name, keys[i % 5], f"{i:06d}".encode() * 40, 3 if i % 7 == 0 else None)
             for i in range(600)]  # 240-byte values: several 4 KiB batches per partition

    highest, partition_of = asyncio.run(
        _hand_over_in_transaction(kafka_bootstrap, sends, max_batch_size=4096,
                                  abort_first=True))
    records = asyncio.run(_read_committed(kafka_bootstrap, topic_name, len(sends)))

    assert len(records) == len(sends)  # the aborted copy is invisible, nothing is lost
    for partition in {r.partition for r in records}:
        got = [r.value for r in sorted(records, key=lambda r: r.offset)
               if r.partition == partition]
        wanted = [value for _, key, value, explicit in sends
                  if (explicit if explicit is not None else partition_of[key]) == partition]
        assert got == wanted
        # the transaction's last record; its commit marker follows it
        assert highest[topic_name, partition] == max(
            r.offset for r in records if r.partition == partition)

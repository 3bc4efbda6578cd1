"""A transaction's records, handed to its transactional producer in whole batches.

aiokafka's `send` costs about 15 µs of Python per record (a metadata lookup, the
partitioner's murmur2, a future per record); a unit of work of a few hundred commands
sends thousands. Here a transaction's records are held in send order and appended to one
batch per topic-partition, handed over with `send_batch` when a unit of work ends (if the
broker has the earlier batches, or enough records are held) or at the commit: a future
per batch, each key's partition computed once. Each partition receives its records in
the order they were sent, as with `send`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: Keys whose partition is remembered (symbols, in practice): beyond it the memo restarts.
PARTITION_MEMO_SIZE = 4096


@dataclass(slots=True)
class SentBatch:
    """Records handed to the producer; the future resolves to their first offset."""

    count: int
    future: asyncio.Future


class _OpenBatch:
    """Records for one topic-partition, appended until the producer's batch size."""

    def __init__(self, producer: Any, topic: str, partition: int) -> None:
        self.topic = topic
        self.partition = partition
        self.builder = producer.create_batch()
        self.count = 0

    def append(self, key: bytes | None, value: bytes | None) -> bool:
        if self.builder.append(key=key, value=value, timestamp=None) is None:
            return False  # full
        self.count += 1
        return True

    async def send(self, producer: Any) -> SentBatch:
        future = await producer.send_batch(self.builder, self.topic, partition=self.partition)
        return SentBatch(self.count, future)


class PartitionMemo:
    """The partition of each key, as the producer's own partitioner (Kafka's default)
    gives it, computed once per topic and key."""

    def __init__(self) -> None:
        self._partitions: dict[tuple[str, bytes], int] = {}

    def known(self, topic: str, key: bytes | None) -> int | None:
        """The key's partition if computed before (without awaiting anything)."""
        return None if key is None else self._partitions.get((topic, key))

    async def partition_of(self, producer: Any, topic: str, key: bytes | None) -> int:
        known = self.known(topic, key)
        if known is not None:
            return known
        await producer.partitions_for(topic)  # waits for the topic's metadata
        partition = producer._partition(topic, None, key, None, key, None)
        if key is not None:  # a record without a key goes to any partition, each time
            if len(self._partitions) >= PARTITION_MEMO_SIZE:
                self._partitions.clear()
            self._partitions[topic, key] = partition
        return partition


class PendingRecords:
    """Records of a transaction not yet handed to the producer, in send order."""

    def __init__(self, partitions: PartitionMemo) -> None:
        self._records: list[tuple[str, int | None, bytes | None, bytes | None]] = []
        self._partitions = partitions

    def add(self, topic: str, key: bytes | None, value: bytes | None,
            partition: int | None) -> None:
        self._records.append((topic, partition, key, value))

    def __len__(self) -> int:
        return len(self._records)

    def discard(self) -> None:
        self._records.clear()

    async def hand_over(self, producer: Any) -> list[SentBatch]:
        """Give the held records to `producer`, one batch per topic-partition (more when a
        batch fills up); returns the batches handed over."""
        records, self._records = self._records, []
        open_batches: dict[tuple[str, int], _OpenBatch] = {}
        sent: list[SentBatch] = []
        memo = self._partitions
        for topic, partition, key, value in records:
            if partition is None:
                partition = memo.known(topic, key)
                if partition is None:
                    partition = await memo.partition_of(producer, topic, key)
            batch = open_batches.get((topic, partition))
            if batch is None or not batch.append(key, value):
                if batch is not None:
                    sent.append(await batch.send(producer))
                batch = open_batches[topic, partition] = _OpenBatch(producer, topic, partition)
                if not batch.append(key, value):
                    raise ValueError(f"a record of {len(value or b'')} bytes for {topic} "
                                     f"exceeds the producer's batch size")
        for batch in open_batches.values():
            sent.append(await batch.send(producer))
        return sent


def highest_offsets(batches: Iterable[SentBatch],
                    written: Iterable[Any]) -> dict[tuple[str, int], int]:
    """The last offset written per topic-partition, from the batches' delivery results
    (aiokafka's `RecordMetadata`, whose offset is the batch's first)."""
    highest: dict[tuple[str, int], int] = {}
    for batch, meta in zip(batches, written, strict=True):
        key = (meta.topic, meta.partition)
        highest[key] = max(meta.offset + batch.count - 1, highest.get(key, -1))
    return highest

"""Whole fetches of a partition, handed to an agent as one batch instead of event by event.

Faust delivers a fetched record to an agent through a task per message, the topic
conductor, the channel's queue, the stream's iteration and its ack bookkeeping: about
450 µs per event on this machine, twenty times the raw aiokafka loop, and the engine
paid it on both of its hops. An agent that registers its topic here receives instead
every fetch of a partition as one `RecordBatch` of aiokafka records, in offset order,
taken out of the consumer's fetch before Faust turns the records into messages; the
other topics of the worker go through Faust's own path unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from faust.types import TP

from app import settings


@dataclass(slots=True)
class RecordBatch:
    """Consecutive records of one partition, fetched in one consumer generation."""

    tp: TP
    records: list[Any]  # aiokafka ConsumerRecords: topic, partition, offset, key, value
    generation_id: int

    @property
    def first_offset(self) -> int:
        return self.records[0].offset

    @property
    def last_offset(self) -> int:
        return self.records[-1].offset


class BatchRoutes:
    """The topics whose records go to batch agents, each through a small bounded queue.

    The queue's bound is the back-pressure: while an agent is busy with its batches the
    consumer stops taking more from the fetch, as Faust's full stream buffers do.
    """

    def __init__(self, queue_size: int = settings.BATCH_QUEUE_SIZE) -> None:
        self._queue_size = queue_size
        self._queues: dict[str, asyncio.Queue[RecordBatch]] = {}

    def queue_for(self, topics: Iterable[str]) -> asyncio.Queue[RecordBatch]:
        """One queue carrying the batches of all `topics`, for the agent that reads them."""
        queue: asyncio.Queue[RecordBatch] = asyncio.Queue(self._queue_size)
        for topic in topics:
            if topic in self._queues:
                raise RuntimeError(f"topic {topic} already has a batch agent")
            self._queues[topic] = queue
        return queue

    async def route(self, records: Mapping[TP, list[Any]], generation_id: int,
                    active: set[TP] | None) -> dict[TP, list[Any]]:
        """Queue the records of batch topics as batches; return the others for Faust.

        Records of a partition that is no longer active (paused by a rebalance) are
        dropped, as Faust drops them: they are fetched again once it is seeked.
        """
        rest: dict[TP, list[Any]] = {}
        for tp, tp_records in records.items():
            queue = self._queues.get(tp.topic)
            if queue is None:
                rest[tp] = tp_records
            elif tp_records and (active is None or tp in active):
                await queue.put(RecordBatch(tp, tp_records, generation_id))
        return rest

"""Exactly-once output: every message an agent sends joins its source event's transaction.

Faust's transaction manager picks the transactional producer from the *destination* of a
send. A topic the worker does not consume (`trades`, `order-events`, `market-data`) has no
partition in the consumer's metadata, so those sends fell back to the plain producer: they
became visible at once while the state and offsets they belong to could still be aborted,
and a crash then published the same trades twice. A destination partition that differs from
the source (a command re-keyed by symbol) landed in another partition's transaction.

Kafka Streams' rule is one producer per source partition (task); this module applies it:
when a send happens while an event is being processed, it uses that event's transactional
producer, so outputs, table changelogs and the source offset commit or abort together.

Two more gaps close here. Faust writes table changelogs through a buffer that a background
task drains, and in exactly-once mode it commits without draining it, so a command's state
could land in the transaction after the one holding its offset: the commit now flushes the
buffer first. And the commit runs concurrently with the agents, so it could commit half of
a command's outputs (sent before an `await`) with the offset before it: agents process each
event as a unit of work (`units_of_work`), acked before the commit may run again.

Last, a restarted worker must not read a stream partition before it is seeked. Faust's
recovery resumes the stream partitions and only then awaits the seek to the committed
offsets, while the fetcher already runs: records fetched meanwhile (from offset 0 when the
partition has no commit yet) reached the agents, the seek then rewound the read offsets but
not the fetch position, and resuming the flow cleared the stream queues of the records still
waiting there. Faust's offset bookkeeping took the dropped records for a gap to commit over
(commands skipped, or applied twice and out of order) or waited for their acks forever (the
partition's offset, and so its transaction, never committed again). So a stream partition
resumed by recovery stays paused until it is seeked and the flow is resumed, the queues
cleared: its first record is then the one after its committed offset.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

import faust
from faust.streams import current_event
from faust.transport.consumer import TransactionManager, ensure_TPset
from faust.transport.drivers.aiokafka import Consumer as AIOKafkaConsumer
from faust.transport.drivers.aiokafka import Transport as AIOKafkaTransport
from faust.types import TP, EventT, StreamT

#: Held while one event is processed, and by the commit: a commit never splits an event.
_unit_of_work = asyncio.Lock()


async def units_of_work(stream: StreamT) -> AsyncIterator[EventT]:
    """The stream's events, each processed as one unit of work in the same commit.

    The body of the caller's loop runs while the unit holds the commit lock, and the event
    is acked before the lock is released, so its outputs, its table writes and its offset
    always share one transaction.
    """
    async for event in stream.events():
        async with _unit_of_work:
            yield event
            event.ack()


class SourcePartitionTransactionManager(TransactionManager):
    """Sends in an event's context go through that event's source-partition transaction."""

    async def send(self, topic: str, key: bytes | None, value: bytes | None,
                   partition: int | None, timestamp: float | None, headers: Any,
                   *, transactional_id: str | None = None) -> Any:
        event = current_event()
        source_ids = self._tps_to_transactional_ids({event.message.tp}) if event else set()
        if not source_ids:  # outside an agent (or a standby partition): Faust's own rule
            return await super().send(topic, key, value, partition, timestamp, headers)
        (source_id,) = source_ids
        return await self.producer.send(topic, key, value, partition, timestamp, headers,
                                        transactional_id=source_id)

    async def commit(self, offsets: Mapping[TP, int], start_new_transaction: bool = True) -> bool:
        """Drain the buffered changelog writes into the transaction before committing it."""
        await self.app.producer.flush()
        return await super().commit(offsets, start_new_transaction=start_new_transaction)


class Consumer(AIOKafkaConsumer):
    """Commits only between units of work; streams resume only once seeked and flowing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._awaiting_seek: set[TP] = set()  # resumed by recovery, not yet seeked
        self._seeked: set[TP] = set()  # seeked, resumed when the flow resumes

    async def commit(self, *args: Any, **kwargs: Any) -> bool:
        async with _unit_of_work:
            return await super().commit(*args, **kwargs)

    def resume_partitions(self, tps: Iterable[TP]) -> None:
        tps = ensure_TPset(tps)
        streams = {tp for tp in tps if not self._is_changelog_tp(tp)}
        self._awaiting_seek |= streams
        super().resume_partitions(tps - streams)

    def pause_partitions(self, tps: Iterable[TP]) -> None:
        tps = ensure_TPset(tps)
        self._awaiting_seek -= tps
        self._seeked -= tps
        super().pause_partitions(tps)

    async def perform_seek(self) -> None:
        seeking = set(self._awaiting_seek)
        await super().perform_seek()
        done = seeking & self._awaiting_seek  # not paused again by a rebalance meanwhile
        self._awaiting_seek -= done
        self._seeked |= done

    def resume_flow(self) -> None:
        super().resume_flow()
        if self._seeked:
            seeked, self._seeked = self._seeked, set()
            super().resume_partitions(seeked & self.assignment())


class Transport(AIOKafkaTransport):
    """The aiokafka transport with the commit rules above."""

    Consumer = Consumer
    TransactionManager = SourcePartitionTransactionManager


class App(faust.App):
    """A Faust app whose exactly-once processing covers every topic an agent writes."""

    def _new_transport(self) -> Transport:
        return Transport(self.conf.broker_consumer, self)

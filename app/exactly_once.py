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
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import faust
from faust.streams import current_event
from faust.transport.consumer import TransactionManager
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
    """Commits only between units of work, never in the middle of one."""

    async def commit(self, *args: Any, **kwargs: Any) -> bool:
        async with _unit_of_work:
            return await super().commit(*args, **kwargs)


class Transport(AIOKafkaTransport):
    """The aiokafka transport with the commit rules above."""

    Consumer = Consumer
    TransactionManager = SourcePartitionTransactionManager


class App(faust.App):
    """A Faust app whose exactly-once processing covers every topic an agent writes."""

    def _new_transport(self) -> Transport:
        return Transport(self.conf.broker_consumer, self)

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
"""

from __future__ import annotations

from typing import Any

import faust
from faust.streams import current_event
from faust.transport.consumer import TransactionManager
from faust.transport.drivers.aiokafka import Transport as AIOKafkaTransport


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


class Transport(AIOKafkaTransport):
    """The aiokafka transport with the source-partition transaction manager."""

    TransactionManager = SourcePartitionTransactionManager


class App(faust.App):
    """A Faust app whose exactly-once processing covers every topic an agent writes."""

    def _new_transport(self) -> Transport:
        return Transport(self.conf.broker_consumer, self)

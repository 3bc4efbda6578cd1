"""Sink: the engine's committed outputs (`trades`, `order-events`) into Cassandra.

It reads only what the matcher committed (the app consumes read-committed), never the
matcher's memory, and maps each message to its rows alone (`records.rows`), so it runs in
the engine's worker or in workers of its own (`WORKER_AGENTS=sink`, README).

Delivery is at-least-once with idempotent rows: the stream does not ack by itself; an
event joins its partition's transaction (`app.exactly_once`, whose commits carry the
offset after the last event they hold) only once Cassandra acknowledged every row it
implies, and each partition's events join in offset order, so a committed offset never
passes an unwritten event. The partition lock is held only for that registration, never
while Cassandra is awaited, so the sink never delays the matcher's commits. When
Cassandra is down or slow the writer's slots stay taken, `submit` waits, and this agent
stops consuming; Faust then stops fetching these partitions while the matcher goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable

import orjson
from faust.types import TP, EventT, StreamT

from app import settings
from app.faust_app import app
from records.connection import connect
from records.rows import Position, Write, order_event_writes, trade_writes
from records.writer import Done, RecordWriter, WriterConfig, prepare_writes
from services.config import Settings
from topology.topics import sink_sources

log = logging.getLogger(__name__)

WRITER_CONFIG = WriterConfig(concurrency=settings.SINK_CONCURRENCY,
                             batch_rows=settings.SINK_BATCH_ROWS,
                             linger_s=settings.SINK_LINGER_MS / 1000,
                             retry_max_s=settings.SINK_RETRY_MAX_S)


def writes_of(topic: str, partition: int, offset: int, raw: bytes | None) -> list[Write]:
    """The rows one message implies; nothing (logged) for a message the engine never wrote."""
    position = Position(topic, partition, offset)
    try:
        value = orjson.loads(raw or b"")
        if topic == settings.TRADES_TOPIC:
            return trade_writes(value, position)
        return order_event_writes(value, position)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        log.error("skipping %s-%d-%d, not an engine output: %r", topic, partition, offset,
                  error)
        return []


class InOrderAcks:
    """Acks each partition's events in offset order, whatever order their writes finish in."""

    def __init__(self, ack: Callable[[EventT], Awaitable[None]]) -> None:
        self._ack = ack
        self._waiting: dict[TP, deque[list]] = defaultdict(deque)

    def track(self, event: EventT) -> Done:
        """Register `event` (in arrival order); the returned callback marks it written."""
        waiting = self._waiting[event.message.tp]
        entry = [event, False]
        waiting.append(entry)

        async def written() -> None:
            entry[1] = True
            while waiting and waiting[0][1]:
                await self._ack(waiting.popleft()[0])

        return written


async def open_writer() -> RecordWriter:
    """Connect and prepare, retrying with backoff while Cassandra is unreachable."""
    cassandra_settings = Settings()
    delay = 0.5
    while True:
        session = None
        try:
            session = await asyncio.to_thread(connect, cassandra_settings)
            prepared = await asyncio.to_thread(prepare_writes, session,
                                               cassandra_settings.cassandra_keyspace)
            return RecordWriter(session, prepared, WRITER_CONFIG)
        except Exception as error:  # NoHostAvailable, timeouts: the node is not there yet
            if session is not None:
                session.cluster.shutdown()
            log.warning("sink waiting for Cassandra at %s:%d (%s); retry in %.1f s",
                        cassandra_settings.cassandra_host, cassandra_settings.cassandra_port,
                        error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, settings.SINK_RETRY_MAX_S)


async def _written(event: EventT) -> None:
    """The unit of work of an event whose rows Cassandra already acknowledged."""


@app.agent(sink_sources)
async def cassandra_sink(stream: StreamT) -> None:
    """Write each output's rows; commit it (in order) once they are acknowledged."""
    manual = stream.noack()
    writer = await open_writer()
    transactions = app.consumer.transactions
    # A stale event (fetched before a rebalance) is left uncommitted there: read again.
    acks = InOrderAcks(lambda event: transactions.process(event, _written))
    try:
        async for event in manual.events():
            message = event.message
            writes = writes_of(message.topic, message.partition, message.offset, message.value)
            await writer.submit(writes, acks.track(event))
    finally:
        await writer.close(settings.SINK_DRAIN_S)
        writer.session.cluster.shutdown()

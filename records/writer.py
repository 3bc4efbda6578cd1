"""The sink's writer: single-partition batches, bounded concurrency, retried until acknowledged.

Writes of the same Cassandra partition (a symbol's book or trades, an order's record) are
grouped into one UNLOGGED batch, which Cassandra applies as one mutation; writes of
different partitions are never batched together. At most `concurrency` requests are in
flight: when every slot is taken, `submit` waits, so the caller (the sink agent) stops
consuming. A failed request is retried with exponential backoff, holding its slot, until
Cassandra acknowledges it; only then is each event it covers reported done, so the event's
offset can be committed. Nothing is dropped and nothing is buffered without bound.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cassandra import InvalidRequest, Unauthorized
from cassandra.cluster import Session
from cassandra.query import BatchStatement, BatchType, BoundStatement, PreparedStatement

from records.aio import execute
from records.cql import write_statements
from records.rows import Write

log = logging.getLogger(__name__)

Done = Callable[[], Awaitable[None]]
#: Errors no retry can cure (the statement itself is refused); logged and skipped.
FATAL_ERRORS = (InvalidRequest, Unauthorized)


@dataclass(frozen=True)
class WriterConfig:
    """How hard the writer pushes and how patiently it waits."""

    concurrency: int = 32  # requests in flight
    batch_rows: int = 16  # rows per single-partition batch
    linger_s: float = 0.005  # how long a partial batch waits for company
    max_open_rows: int = 2048  # rows waiting in partial batches before all are sent
    retry_first_s: float = 0.1
    retry_max_s: float = 5.0
    report_every_s: float = 5.0  # how often a waiting writer says what it waits for


class _Ticket:
    """One event's writes: `done` runs when the last of them is acknowledged."""

    __slots__ = ("done", "left")

    def __init__(self, left: int, done: Done) -> None:
        self.left = left
        self.done = done


@dataclass
class _Batch:
    writes: list[BoundStatement] = field(default_factory=list)
    tickets: list[_Ticket] = field(default_factory=list)


class RecordWriter:
    """Turns `records.rows.Write`s into acknowledged Cassandra writes."""

    def __init__(self, session: Session, prepared: dict[str, PreparedStatement],
                 config: WriterConfig) -> None:
        self.session = session
        self.config = config
        self._prepared = prepared
        self._open: dict[tuple[str, ...], _Batch] = {}
        self._open_rows = 0
        self._slots = asyncio.Semaphore(config.concurrency)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._failing_since: float | None = None
        self._last_report = 0.0
        self._linger = asyncio.create_task(self._linger_loop())
        self.rows_written = 0

    async def submit(self, writes: list[Write], done: Done) -> None:
        """Queue one event's writes; `done` is awaited once all are acknowledged."""
        if not writes:
            await done()
            return
        ticket = _Ticket(len(writes), done)
        full = []
        for write in writes:
            batch = self._open.get(write.partition)
            if batch is None:
                batch = self._open[write.partition] = _Batch()
            batch.writes.append(self._prepared[write.statement].bind(write.values))
            batch.tickets.append(ticket)
            if len(batch.writes) >= self.config.batch_rows:
                full.append(write.partition)
        self._open_rows += len(writes)
        if self._open_rows >= self.config.max_open_rows:
            await self.flush()
        else:
            for partition in full:
                await self._send(partition)

    async def flush(self) -> None:
        """Send every partial batch now (waiting for free slots)."""
        for partition in list(self._open):
            await self._send(partition)

    async def drain(self, timeout: float) -> bool:
        """Flush and wait for every request; False if some were still waiting at `timeout`."""
        await asyncio.wait_for(self.flush(), timeout)
        if self._in_flight:
            _, pending = await asyncio.wait(set(self._in_flight), timeout=timeout)
            return not pending
        return True

    async def close(self, timeout: float) -> None:
        """Drain what can be written in `timeout`, abandon the rest (never reported done)."""
        try:
            if not await self.drain(timeout):
                log.warning("closing with %d write requests unacknowledged; their events "
                            "stay uncommitted and will be written again", len(self._in_flight))
        except TimeoutError:
            log.warning("closing while Cassandra is not answering; unwritten events stay "
                        "uncommitted")
        finally:
            self._linger.cancel()
            for task in list(self._in_flight):
                task.cancel()

    @property
    def pending_requests(self) -> int:
        return len(self._in_flight)

    async def _send(self, partition: tuple[str, ...]) -> None:
        batch = self._open.pop(partition, None)
        if batch is None:
            return
        self._open_rows -= len(batch.writes)
        await self._slots.acquire()  # backpressure: wait here while every slot is busy
        task = asyncio.create_task(self._run(batch))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _run(self, batch: _Batch) -> None:
        try:
            await self._write_until_acknowledged(_statement(batch.writes), len(batch.writes))
            self.rows_written += len(batch.writes)
            for ticket in batch.tickets:
                ticket.left -= 1
                if not ticket.left:
                    await ticket.done()
        finally:
            self._slots.release()

    async def _write_until_acknowledged(self, statement: Any, rows: int) -> None:
        delay = self.config.retry_first_s
        while True:
            try:
                await execute(self.session, statement)
            except FATAL_ERRORS as error:
                log.error("Cassandra refused %d rows, skipping them: %s", rows, error)
                return
            except Exception as error:  # timeouts, unavailable, no host: wait and retry
                self._report(error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.config.retry_max_s)
            else:
                if self._failing_since is not None:
                    log.info("Cassandra writes succeed again after %.1f s",
                             time.monotonic() - self._failing_since)
                    self._failing_since = None
                return

    def _report(self, error: Exception) -> None:
        """Say what the sink waits for, at most every `report_every_s` seconds."""
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = now
        if now - self._last_report >= self.config.report_every_s:
            self._last_report = now
            log.warning("waiting for Cassandra for %.1f s: %d write requests retrying with "
                        "backoff, consumption paused while all %d slots are taken (%s: %s)",
                        now - self._failing_since, len(self._in_flight),
                        self.config.concurrency, type(error).__name__, error)

    async def _linger_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.linger_s)
            if self._open:
                await self.flush()


def prepare_writes(session: Session, keyspace: str) -> dict[str, PreparedStatement]:
    """The writer's statements, prepared (blocking: call it off the event loop)."""
    return {name: session.prepare(cql) for name, cql in write_statements(keyspace).items()}


def _statement(writes: list[BoundStatement]) -> Any:
    """One row as itself; several rows of one partition as an unlogged batch."""
    if len(writes) == 1:
        return writes[0]
    batch = BatchStatement(batch_type=BatchType.UNLOGGED)
    for write in writes:
        batch.add(write)
    return batch

"""Exactly-once processing that survives crashes, rebalances, broker loss and agent errors.

The unit of work is one event, or one fetched batch of a partition for the agents that
take batches (`app.record_batches`). Kafka Streams' rule applies: each source partition (Faust
groups them by transactional id, `{app}-{group}-{partition}`) has one transactional
producer, and everything an event causes joins that partition's open transaction: its
outputs, its table changelog records and, at commit, its offset. The rules below close the
gaps faust-streaming 0.15.3 leaves open (the test `tests/app/test_faust_internals.py`
fails if any Faust or aiokafka internal we rely on changes).

1. Sends follow the event, not the destination. Faust picks the producer from the
   destination partition, so sends to topics the worker does not consume (trades, ...)
   went out outside any transaction. A send inside a unit of work uses the unit's
   transaction, and its delivery future is kept: the commit waits for every one of them,
   and a failed send fails the commit instead of committing a transaction without it.
2. The local store holds only committed rows (`app.staged_state`): a command's rows are
   staged, sent to their changelogs when the transaction commits (inside it: the last
   value of each row) and written to RocksDB, with the changelog offset they reach, after
   it committed. A restart on the same data dir after a SIGKILL or an abort
   finds a committed prefix of the changelog and Faust's recovery reads on from there.
3. A commit never splits a unit of work: each partition has a lock held while a unit is
   processed (and its event acked), and the commit seals every open transaction under
   all the locks: it takes the units' offsets, staged rows and held records. It then
   commits the sealed transactions (concurrently) without the locks: hands the records
   over, sends the offsets while waiting for every send, commits, applies the staged rows
   and begins the next transactions, registering their partitions and group at once
   (`app.transaction_prelude`). Units go on meanwhile into the next transactions, holding
   their records until those have begun; one commit runs at a time. Partitions never
   wait for each other, and processing waits only while the transactions are sealed.
4. An agent error rolls the partition back: the previous transaction's commit is let
   finish, the open transaction is aborted, its staged rows and held records discarded,
   the cached books of the partition dropped (they rebuild from the committed store),
   the units of the transaction are run again and the failed one is retried. A unit that
   fails `MAX_ATTEMPTS` times stops the worker (fail-stop): a partition never commits
   past a command it could not apply.
5. Rebalances commit first. Faust drops the acks of revoked partitions before its own
   revoke-time commit, and a partition kept through the rebalance keeps its open
   transaction, so work done before the rebalance could be redone after it into the same
   transaction. Here the revoke commits everything processed so far (under the locks),
   events are skipped (not acked) from then until the new assignment, and recovery seeks
   every partition back to its committed offset.
6. Failures are loud. Faust's `begin_transaction` logs and swallows errors, and its
   `crash` stops the worker gracefully, committing on the way out. Any failure of a
   transaction step, and any crash, stops the process at once with exit code
   `FAIL_STOP_EXIT_CODE` (fail-stop); a restarted worker recovers from committed state.
   A stop never commits either (a service crash stops the worker the same way): the open
   transactions are aborted and their events processed again by the next owner.
7. A restarted worker must not read a stream partition before it is seeked: Faust's
   recovery resumes the partitions before seeking them while the fetcher already runs,
   and records fetched meanwhile were processed or dropped. Such a partition stays paused
   until it is seeked and the flow resumes (the queues are cleared by then), and a unit
   of work skips any event of a partition not yet seeked in this generation: a fetch
   that was under way when the generation changed delivered records past the committed
   offset, stamped with the new generation; processed before the seek and skipped as
   "already done" after it, they left the records in between unprocessed and committed
   over (orders lost). A record read twice in one generation now stops the worker.
8. Recovery asks the broker where each changelog ends. Under transactions Faust reads the
   last stable offset its fetcher last saw, which is unknown (-1) before the first fetch,
   and its consistency check then refuses every store that has a persisted offset: a
   restart on the same data dir crashed. The broker's answer (read-committed end offsets)
   is the right one.
9. A transaction commits the offset after the last event it holds, per partition. Faust
   derives offsets from its acks and a gap tree (commit markers and aborted records leave
   holes in a transactional topic's offsets); where it found a hole at the head, it
   committed the transaction of the shared transactional id without that partition's
   offset, and a restart applied those commands a second time. Every event of a
   transaction is processed in offset order, so its last offset is exact.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import Any

import faust
from aiokafka.structs import TopicPartition
from faust.transport.consumer import TransactionManager, ensure_TPset
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.transport.drivers.aiokafka import Consumer as AIOKafkaConsumer
from faust.transport.drivers.aiokafka import Producer as AIOKafkaProducer
from faust.transport.drivers.aiokafka import Transport as AIOKafkaTransport
from faust.types import TP, EventT, StreamT
from mode.utils.aiter import aiter

from app import settings
from app.record_batches import BatchRoutes, RecordBatch
from app.staged_state import EncodedRows, StagedWrites
from app.transaction_outputs import PartitionMemo, PendingRecords, SentBatch, highest_offsets
from app.transaction_prelude import register_ahead

log = logging.getLogger(__name__)

#: Tries of one event (the first run and the retries after a rollback) before fail-stop.
MAX_ATTEMPTS = 3
#: The exit code of a fail-stop (EX_SOFTWARE): a supervisor restarts the worker.
FAIL_STOP_EXIT_CODE = 70

Handler = Callable[[EventT], Awaitable[None]]
BatchHandler = Callable[[RecordBatch], Awaitable[None]]

#: The transactions and transactional id of the unit of work running in this task, if any.
_current_unit: ContextVar[tuple[PartitionTransactions, str] | None] = ContextVar(
    "unit_of_work", default=None)


def fail_stop(reason: str, exc: BaseException | None = None) -> None:
    """Stop the process now: nothing may commit after a transaction step failed."""
    log.critical("FAIL-STOP: %s", reason, exc_info=exc)
    logging.shutdown()
    sys.stderr.flush()
    os._exit(FAIL_STOP_EXIT_CODE)


async def send(topic: str, key: bytes | None, value: bytes | None,
               partition: int | None = None) -> None:
    """Send serialised bytes in the current unit of work's transaction (rule 1).

    Held, then handed to the partition's transactional producer in whole batches, by the
    commit at the latest, which waits for the broker to have them (`app.transaction_outputs`):
    Faust's send path (serialisers, futures, sensors, a lock per send), then aiokafka's
    per-record send, cost more than the rest of a command.
    Without a partition, the record goes where Kafka's default partitioner puts its key.
    """
    unit = _current_unit.get()
    if unit is None:
        raise RuntimeError("send() outside a unit of work")
    transactions, tid = unit
    transactions._pending[tid].add(topic, key, value, partition)


async def in_this_transaction(topic: str, key: bytes) -> bool:
    """Whether a record of `key` sent to `topic` would be processed in the current unit's
    own transaction: the same partition number, in the same topic group."""
    unit = _current_unit.get()
    if unit is None:
        raise RuntimeError("in_this_transaction() outside a unit of work")
    transactions, tid = unit
    partition = await transactions.partitions.partition_of(
        transactions._transaction_producer(tid), topic, key)
    try:
        return transactions.tid_for(TP(topic, partition)) == tid
    except KeyError:  # a topic this worker does not consume
        return False


def staged_rows(store: Any, partition: int) -> dict[str, Any]:
    """The rows of a table partition the current unit's transaction holds until it
    commits (rule 2): set a key to stage a row, to `None` to delete it."""
    unit = _current_unit.get()
    if unit is None:
        raise RuntimeError("staged_rows() outside a unit of work")
    transactions, tid = unit
    return transactions.staged.rows(tid, store, partition)


async def units_of_work(stream: StreamT, handle: Handler) -> None:
    """Run `handle` on each event of the stream as one unit of work (see rule 3)."""
    transactions: PartitionTransactions = stream.app.consumer.transactions
    async for event in stream.events():
        await transactions.process(event, handle)


async def batches_of_work(stream: StreamT, handle: BatchHandler) -> None:
    """Run `handle` on each fetched batch of the stream's partitions as one unit of work.

    The agent's stream only subscribes its topic; the consumer routes the topic's records
    here as batches (`app.record_batches`), never through the stream's events.
    """
    app = stream.app
    channel = aiter(stream.channel)  # subscribes the topic, as iterating the stream does
    batches = app.consumer.batch_routes.queue_for(channel.topics)
    transactions: PartitionTransactions = app.consumer.transactions
    inbound = app.monitor.stream_inbound_time  # Faust's stalled-stream alarm reads it
    while True:
        batch = await batches.get()
        inbound[batch.tp] = time.monotonic()
        await transactions.process_batch(batch, handle)


@dataclass(slots=True)
class _Sealed:
    """A transaction taken out of the units' way, to be committed."""

    offsets: dict[TP, int]
    rows: EncodedRows
    records: PendingRecords
    sent: list[SentBatch]


@dataclass(slots=True)
class _Unit:
    """An event or a batch in an open transaction: what a rollback redoes, what a commit
    covers (the offsets up to `last_offset` of `tp`)."""

    tp: TP
    last_offset: int
    run: Callable[[], Awaitable[None]]


class PartitionHealth:
    """What an operator needs to know about one partition's transactions."""

    def __init__(self) -> None:
        self.commits = 0
        self.rollbacks = 0
        self.skipped = 0  # stale events left to be read again
        self.last_commit: float | None = None
        self.open_since: float | None = None  # first event of the open transaction
        self.open_events = 0

    def as_dict(self, now: float) -> dict[str, Any]:
        return {
            "commits": self.commits,
            "rollbacks": self.rollbacks,
            "skipped_stale_events": self.skipped,
            "seconds_since_commit": (None if self.last_commit is None
                                     else round(now - self.last_commit, 3)),
            "uncommitted_events": self.open_events,
            "commit_lag_seconds": (None if self.open_since is None
                                   else round(now - self.open_since, 3)),
        }


class PartitionTransactions(TransactionManager):
    """One transaction per source partition, committed or rolled back as a whole."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staged = StagedWrites()
        self.health: dict[str, PartitionHealth] = defaultdict(PartitionHealth)
        self.revoking = False
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tids: dict[TP, str] = {}
        self.partitions = PartitionMemo()
        self._pending: dict[str, PendingRecords] = defaultdict(
            lambda: PendingRecords(self.partitions))
        self._in_flight: dict[str, list[SentBatch]] = defaultdict(list)
        #: Early registrations of the open transactions (`app.transaction_prelude`).
        self._registered: dict[str, asyncio.Future[None]] = {}
        #: Transactions being committed, by id: resolved once the next one has begun.
        self._begun: dict[str, asyncio.Future[None]] = {}
        self._one_commit = asyncio.Lock()
        self._open: dict[str, list[_Unit]] = defaultdict(list)
        self._last_done: dict[TP, int] = {}
        #: Partitions seeked to their committed offset in this generation (rule 7).
        self.seeked: set[TP] = set()

    # -- units of work ----------------------------------------------------------------

    def tid_for(self, tp: TP) -> str:
        tid = self._tids.get(tp)
        if tid is None:
            group = self.app.assignor.group_for_topic(tp.topic)
            tid = self._tids[tp] = f"{self.app.conf.id}-{group}-{tp.partition}"
        return tid

    async def process(self, event: EventT, handle: Handler) -> None:
        message = event.message
        tid = self.tid_for(message.tp)
        async with self._locks[tid]:
            if self._current(message.tp, message.generation_id, message.offset):
                await self._process(tid, _Unit(message.tp, message.offset,
                                               partial(handle, event)))
                event.ack()
            else:  # leave it unacked for good: it is read again from the committed offset
                self._skip(tid, message.tp, message.offset, message.generation_id)
                message.acked = True  # so the stream's own ack records no offset for it
                self.consumer._unacked_messages.discard(message)

    async def process_batch(self, batch: RecordBatch, handle: BatchHandler) -> None:
        tid = self.tid_for(batch.tp)
        async with self._locks[tid]:
            if self._current(batch.tp, batch.generation_id, batch.first_offset):
                await self._process(tid, _Unit(batch.tp, batch.last_offset,
                                               partial(handle, batch)))
            else:  # read again from the committed offset
                self._skip(tid, batch.tp, batch.first_offset, batch.generation_id)

    async def _process(self, tid: str, unit: _Unit) -> None:
        self._open[tid].append(unit)
        health = self.health[tid]
        health.open_events += 1
        if health.open_since is None:
            health.open_since = time.time()
        await self._run_with_retries(tid, unit)
        self._last_done[unit.tp] = unit.last_offset

    def _current(self, tp: TP, generation_id: int, offset: int) -> bool:
        """Fetched in this generation, after its partition was seeked (rule 7)."""
        if (self.revoking or generation_id != self.app.consumer_generation_id
                or tp not in self.seeked):
            return False
        done = self._last_done.get(tp)
        if done is not None and offset <= done:
            fail_stop(f"{tp} offset {offset} read again after offset {done} in "
                      f"the same generation: the open transaction cannot be trusted")
        return True

    def _skip(self, tid: str, tp: TP, offset: int, generation_id: int) -> None:
        log.debug("skipping %s offset %d (generation %s, now %s, revoking %s, seeked %s)",
                  tp, offset, generation_id, self.app.consumer_generation_id,
                  self.revoking, tp in self.seeked)
        self.health[tid].skipped += 1

    async def _run_with_retries(self, tid: str, unit: _Unit) -> None:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                await self._run(tid, unit)
                return
            except Exception as exc:
                log.exception("agent error on %s up to offset %d (attempt %d of %d)",
                              unit.tp, unit.last_offset, attempt, MAX_ATTEMPTS)
                if attempt == MAX_ATTEMPTS:
                    fail_stop(f"{unit.tp} up to offset {unit.last_offset} failed "
                              f"{MAX_ATTEMPTS} times", exc)
                await self._roll_back(tid, unit.tp.partition)

    async def _run(self, tid: str, unit: _Unit) -> None:
        token = _current_unit.set((self, tid))
        try:
            await unit.run()
        finally:
            _current_unit.reset(token)
        pending = self._pending[tid]
        if pending and tid not in self._begun and (
                len(pending) >= settings.HAND_OVER_RECORDS or self._delivered(tid)):
            self._in_flight[tid] += await pending.hand_over(self._transaction_producer(tid))

    def _delivered(self, tid: str) -> bool:
        """Whether the broker has every batch handed over so far: a new one goes out now,
        off the commit's path. (aiokafka sends one batch per partition at a time; while
        one is on its way, records are held and go together, at the commit at the latest.)
        """
        return all(sent.future.done() for sent in reversed(self._in_flight[tid]))

    async def _roll_back(self, tid: str, partition: int) -> None:
        """Abort the open transaction, then redo its units but the last (rule 4)."""
        self.health[tid].rollbacks += 1
        if tid in self._begun:  # the previous transaction is committing: let it finish
            await self._begun[tid]
        producer = self._transaction_producer(tid)
        try:
            self._forget_sends(tid)
            await producer.abort_transaction()
            await producer.begin_transaction()
        except Exception as exc:
            fail_stop(f"could not roll back transaction {tid}", exc)
        self.staged.discard(tid)
        for forget in self.app.on_rollback:
            forget(partition)
        for unit in self._open[tid][:-1]:
            try:
                await self._run(tid, unit)
            except Exception as exc:
                fail_stop(f"redoing {unit.tp} up to offset {unit.last_offset} "
                          f"after a rollback failed", exc)

    def _forget_sends(self, tid: str) -> None:
        self._pending[tid].discard()
        aborted = [sent.future for sent in self._in_flight.pop(tid, [])]
        if tid in self._registered:
            aborted.append(self._registered.pop(tid))
        for future in aborted:
            future.add_done_callback(_consume_result)  # aborted: no one reads it

    # -- sends ------------------------------------------------------------------------

    async def send(self, topic: str, key: bytes | None, value: bytes | None,
                   partition: int | None, timestamp: float | None, headers: Any,
                   *, transactional_id: str | None = None) -> Any:
        unit = _current_unit.get()
        if unit is None:  # outside a unit of work: Faust's own rule
            return await super().send(topic, key, value, partition, timestamp, headers)
        _, tid = unit
        if tid in self._begun:  # its producer is committing the previous transaction
            await self._begun[tid]
        fut = await self.producer.send(topic, key, value, partition, timestamp, headers,
                                       transactional_id=tid)
        self._in_flight[tid].append(SentBatch(1, fut))
        return fut

    # -- commits ----------------------------------------------------------------------

    @asynccontextmanager
    async def all_locks(self) -> AsyncIterator[set[str]]:
        """Every partition's lock, in a fixed order (agents hold at most one); yields them.

        A partition whose first event starts meanwhile is left to the next commit.
        """
        tids = sorted(self._locks)
        async with AsyncExitStack() as stack:
            for tid in tids:
                await stack.enter_async_context(self._locks[tid])
            yield set(tids)

    async def commit_all(self, start_new_transaction: bool = True) -> dict[TP, int]:
        """Commit every open transaction with the offsets after its units (rule 9), all
        partitions at once; returns the offsets. Any failure stops the worker (rule 6).

        The transactions are sealed under every partition's lock (no unit is halfway),
        then committed without the locks: units go on meanwhile into the next
        transactions, holding their records (`_begun` tells when they may go out).
        """
        async with self._one_commit:
            async with self.all_locks() as tids:
                sealed = {tid: self._seal(tid) for tid in tids if self._open.get(tid)}
            results = await asyncio.gather(
                *(self._commit_sealed(tid, transaction, start_new_transaction)
                  for tid, transaction in sealed.items()), return_exceptions=True)
        for tid, result in zip(sealed, results, strict=True):
            if isinstance(result, BaseException):
                fail_stop(f"commit of transaction {tid} failed", result)
        return {tp: offset for transaction in sealed.values()
                for tp, offset in transaction.offsets.items()}

    def _seal(self, tid: str) -> _Sealed:
        """Take what the open transaction holds; the units after this start the next."""
        self._begun[tid] = asyncio.get_running_loop().create_future()
        health = self.health[tid]
        health.open_since = None
        health.open_events = 0
        return _Sealed(self._offsets_after(self._open.pop(tid)), self.staged.take(tid),
                       self._pending.pop(tid, None) or PendingRecords(self.partitions),
                       self._in_flight.pop(tid, []))

    @staticmethod
    def _offsets_after(units: list[_Unit]) -> dict[TP, int]:
        offsets: dict[TP, int] = {}
        for unit in units:
            offsets[unit.tp] = max(offsets.get(unit.tp, 0), unit.last_offset + 1)
        return offsets

    async def _commit_sealed(self, tid: str, transaction: _Sealed,
                             start_new_transaction: bool) -> None:
        try:
            producer = self._transaction_producer(tid)
            records = transaction.records
            for topic, partition, key, value in self.staged.changelog_records(
                    transaction.rows):
                records.add(topic, key, value, partition)
            sent = transaction.sent + await records.hand_over(producer)
            registered = self._registered.pop(tid, None)
            written, *_ = await asyncio.gather(  # the records beside the offsets
                asyncio.gather(*(batch.future for batch in sent)),
                producer.send_offsets_to_transaction(transaction.offsets, self.app.conf.id),
                *([] if registered is None else [registered]))
            last_offsets = highest_offsets(sent, written)
            await producer.commit_transaction()
            self.staged.apply(transaction.rows, last_offsets)
            self._note_commit(tid, transaction.offsets)
            if start_new_transaction:
                await producer.begin_transaction()
                if not self.revoking:  # a revoked partition's producer is about to stop
                    self._registered[tid] = register_ahead(
                        producer, last_offsets, transaction.offsets, self.app.conf.id)
        finally:
            self._begun.pop(tid).set_result(None)

    async def abort_open(self) -> None:
        """Abort every open transaction (at stop), so readers are not held up by them."""
        self.revoking = True  # nothing starts any more
        async with self._one_commit, self.all_locks() as tids:
            for tid in tids & set(self.producer._transaction_producers):
                self._forget_sends(tid)
                try:
                    await self.producer._transaction_producers[tid].abort_transaction()
                except Exception as exc:  # the broker aborts it anyway when it times out
                    log.warning("could not abort transaction %s at stop: %r", tid, exc)

    def _note_commit(self, tid: str, offsets: Mapping[TP, int]) -> None:
        """Health, and the commit times Faust's slow-commit alarm reads (rule 6)."""
        now = time.time()
        health = self.health[tid]
        health.commits += 1
        health.last_commit = now
        self.consumer._thread.tp_last_committed_at.update(
            {tp: time.monotonic() for tp in offsets})

    def _transaction_producer(self, tid: str) -> Any:
        producer = self.producer._transaction_producers.get(tid)
        if producer is None:
            raise RuntimeError(f"no transactional producer for {tid}")
        return producer

    # -- rebalances -------------------------------------------------------------------

    async def _start_transactions(self, tids: Iterable[str]) -> None:
        """Begin each new partition's transaction; an error stops the worker (rule 6)."""
        for tid in tids:
            if tid in self.producer._transaction_producers:
                continue  # kept through the rebalance: its transaction is open and empty
            stale = self._registered.pop(tid, None)  # made by a producer since stopped
            if stale is not None:
                stale.cancel()
            try:
                producer = self.producer._new_producer(transactional_id=tid)
                await producer.start()
                self.producer._transaction_producers[tid] = producer
                self.producer._trn_locks[tid] = asyncio.Lock()
                await producer.begin_transaction()
            except Exception as exc:
                fail_stop(f"could not begin transaction {tid}", exc)

    def on_assigned(self) -> None:
        """A new generation: recovery seeks every partition to its committed offset."""
        self.revoking = False
        self._last_done.clear()
        self.seeked.clear()

    def states(self) -> dict[str, dict[str, Any]]:
        """Each partition's health, with its transactional producer's state."""
        now = time.time()
        producers = self.producer._transaction_producers
        tids = sorted(set(self.health) | set(producers))
        return {tid: {**self.health[tid].as_dict(now),
                      "producer": (producers[tid]._txn_manager.state.name
                                   if tid in producers else "stopped")}
                for tid in tids}


def _consume_result(fut: asyncio.Future) -> None:
    if not fut.cancelled():
        fut.exception()


class ConsumerThread(AIOKafkaConsumerThread):
    """Asks the broker for the end of a partition (rule 8); fetches wait less."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        """Faust's consumer, with the broker's wait for data cut from Faust's 1.5 s.

        aiokafka leaves a partition whose fetched records are not yet taken out of the
        next fetch request, and sends none while one is in flight: a partition taken a
        moment late then waits for a fetch of the others, which the broker holds until
        data arrives or the wait ends. Under a steady flow of orders to one symbol that
        held its orders for the whole 1.5 s.
        """
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = int(settings.FETCH_MAX_WAIT_S * 1000)
        return consumer

    def set_fetching(self, tps: set[TP], fetching: bool) -> None:
        """Pause or resume fetching changelog partitions in aiokafka, as Faust does in its
        own bookkeeping only.

        A changelog partition Faust has paused (every active one, once restored) stayed
        in every fetch: our own commits' changelog records came back, were never taken,
        and a partition's untaken records hold aiokafka's next fetch for up to 100 ms.
        """
        if tps:
            self.thread_loop.call_soon_threadsafe(self._set_fetching, tps, fetching)

    def _set_fetching(self, tps: set[TP], fetching: bool) -> None:
        consumer = self._consumer
        if consumer is None:
            return
        assigned = consumer.assignment()  # it may have changed since the call
        partitions = [tp for tp in (TopicPartition(*tp) for tp in tps) if tp in assigned]
        (consumer.resume if fetching else consumer.pause)(*partitions)

    async def _highwaters(self, partitions: list[TP]) -> Mapping[TP, int]:
        return await self._ensure_consumer().end_offsets(partitions)


class Consumer(AIOKafkaConsumer):
    """Commits under the partition locks; rebalances commit first; seeks before reads."""

    transactions: PartitionTransactions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._awaiting_seek: set[TP] = set()  # resumed by recovery, not yet seeked
        self._seeked: set[TP] = set()  # seeked, resumed when the flow resumes
        self.batch_routes = BatchRoutes()

    async def _wait_next_records(self, timeout: float) -> tuple[Any, set[TP] | None]:
        """The fetch, less the records of batch agents' topics, queued for them as batches.

        Stamped with the generation they were fetched in, as Faust stamps its messages.
        """
        records, active = await super()._wait_next_records(timeout)
        if records and self.flow_active and not self.should_stop:
            records = await self.batch_routes.route(
                records, self.app.consumer_generation_id, active)
        return records, active

    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def commit(self, topics: Any = None, start_new_transaction: bool = True) -> bool:
        """Commit all partitions' open transactions, sealed under their locks (rules 3, 9)."""
        committed = await self.transactions.commit_all(start_new_transaction)
        for tp in committed:  # Faust's ack bookkeeping of these events is done with
            self._acked.pop(tp, None)
            self._acked_index.pop(tp, None)
        self._committed_offset.update(committed)
        self.app.monitor.on_tp_commit(committed)
        return bool(committed)

    async def on_stop(self) -> None:
        """Stop without a last commit: what is open aborts and is processed again (rule 6).

        Faust's stop commits whatever was acked, also when it stops because a service
        crashed, halfway through a rebalance; nothing that stops may commit.
        """
        try:
            await asyncio.wait_for(self.transactions.abort_open(), timeout=10)
        except TimeoutError:  # an agent stuck on a send: the broker aborts it later
            log.warning("open transactions not aborted within 10 s at stop")

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        self.transactions.revoking = True
        await self.commit()
        await super().on_partitions_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TP], generation_id: int = 0) -> None:
        self.transactions.on_assigned()
        await super().on_partitions_assigned(assigned, generation_id)

    def resume_partitions(self, tps: Iterable[TP]) -> None:
        tps = ensure_TPset(tps)
        streams = {tp for tp in tps if not self._is_changelog_tp(tp)}
        self._awaiting_seek |= streams
        self._thread.set_fetching(tps - streams, fetching=True)
        super().resume_partitions(tps - streams)

    def pause_partitions(self, tps: Iterable[TP]) -> None:
        tps = ensure_TPset(tps)
        self._awaiting_seek -= tps
        self._seeked -= tps
        self._thread.set_fetching({tp for tp in tps if self._is_changelog_tp(tp)},
                                  fetching=False)
        super().pause_partitions(tps)

    async def perform_seek(self) -> None:
        seeking = set(self._awaiting_seek)
        await super().perform_seek()
        self.transactions.seeked |= self.assignment()
        done = seeking & self._awaiting_seek  # not paused again by a rebalance meanwhile
        self._awaiting_seek -= done
        self._seeked |= done

    def resume_flow(self) -> None:
        super().resume_flow()
        if self._seeked:
            seeked, self._seeked = self._seeked, set()
            super().resume_partitions(seeked & self.assignment())


class Producer(AIOKafkaProducer):
    """Retries a refused transaction step sooner than aiokafka's 100 ms.

    Right after a commit the coordinator still writes its markers and refuses the next
    transaction's first steps (CONCURRENT_TRANSACTIONS) for a few milliseconds.
    """

    def _settings_extra(self) -> Mapping[str, Any]:
        return {**super()._settings_extra(),
                "retry_backoff_ms": int(settings.PRODUCER_RETRY_BACKOFF_S * 1000)}


class Transport(AIOKafkaTransport):
    """The aiokafka transport with the rules above."""

    Consumer = Consumer
    Producer = Producer
    TransactionManager = PartitionTransactions


class App(faust.App):
    """A Faust app whose exactly-once processing holds under every fault (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Called with the partition of a rolled-back transaction: drop its cached state.
        self.on_rollback: list[Callable[[int], None]] = []

    def _new_transport(self) -> Transport:
        return Transport(self.conf.broker_consumer, self)

    async def crash(self, reason: BaseException) -> None:
        fail_stop(f"the app crashed: {reason!r}", reason)

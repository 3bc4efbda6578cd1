"""Matcher: one symbol's commands, in order, against that symbol's book.

Commands come keyed by symbol, so a symbol's whole history is one partition, handled by
one worker in order: from ingress itself when the order arrived in its symbol's partition
(`apply_command`, in the same transaction), else re-keyed through the commands topic. The
book's rows and the outputs join the command's exactly-once transaction
(`app.exactly_once`); an error rolls the partition back to its last commit.
"""

from __future__ import annotations

import logging

import orjson

from agents.publish import publish
from agents.rejects import forwarded_rejection
from app import faults
from app.exactly_once import batches_of_work
from app.faust_app import app
from app.record_batches import RecordBatch
from engine import Command, Rejection, rejection_output, result_outputs, wall_clock
from engine.rejections import INVALID_JSON
from tables.books import BookStore
from topology.topics import commands

log = logging.getLogger(__name__)
store = BookStore()


@app.on_partitions_assigned.connect
async def rebuild_books_after_rebalance(sender, assigned, **kwargs) -> None:
    """Partitions may have moved or been restored: rebuild the books from the tables."""
    store.forget()


app.on_rollback.append(store.forget)  # its books hold rolled-back changes: rebuild them


async def apply_all(batch: RecordBatch) -> None:
    for record in batch.records:
        await apply_command(record.partition, read_command(record))


def read_command(record) -> Command | Rejection:
    """The command (or forwarded rejection) a commands-topic record carries."""
    try:
        value = orjson.loads(record.value)
        return forwarded_rejection(value) or Command.from_dict(value)
    except (KeyError, TypeError, ValueError) as exc:  # not written by our ingress
        log.error("unreadable command at %s-%d offset %d: %r", record.topic,
                  record.partition, record.offset, exc)
        return Rejection(INVALID_JSON, f"unreadable command: {exc}", ts=wall_clock())


async def apply_command(partition: int, command: Command | Rejection) -> None:
    """Apply one command, persist what changed, publish trades, events and market data."""
    if isinstance(command, Rejection):
        await publish(rejection_output(command))
        return
    book = await store.book(partition, command.symbol)
    now = wall_clock()
    result = book.apply(command, now)
    store.save(partition, book.symbol, result.delta())
    for output in result_outputs(book, result, now):
        await publish(output)
        faults.after_output(command)


@app.agent(commands)
async def matcher(stream):
    """Each fetched batch of a partition's commands is one unit of work of its transaction."""
    await batches_of_work(stream, apply_all)

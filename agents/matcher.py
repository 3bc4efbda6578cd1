"""Matcher: one symbol's commands, in order, against that symbol's book.

Commands arrive keyed by symbol, so a symbol's whole history is one partition, handled by
one worker in order. The book's rows go to the RocksDB tables and the outputs to Kafka in
the same exactly-once transaction as the command's offset.
"""

from __future__ import annotations

from agents.publish import publish
from app.exactly_once import units_of_work
from app.faust_app import app
from engine import Command, result_outputs, wall_clock
from tables.books import BookStore
from topology.topics import commands

store = BookStore()


@app.on_partitions_assigned.connect
async def rebuild_books_after_rebalance(sender, assigned, **kwargs) -> None:
    """Partitions may have moved or been restored: rebuild the books from the tables."""
    store.forget()


@app.agent(commands)
async def matcher(stream):
    """Apply each command, persist what changed, publish trades, events and market data."""
    async for event in units_of_work(stream):
        command = Command.from_dict(event.value)
        book = store.book(command.symbol)
        now = wall_clock()
        result = book.apply(command, now)
        store.save(book.symbol, result.delta())
        for output in result_outputs(book, result, now):
            await publish(output)

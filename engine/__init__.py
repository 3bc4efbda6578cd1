"""The pure matching core: validation, price-time matching, state rows and replay.

No Kafka, Faust or Cassandra here, and no I/O except in ``engine.replay``'s
command line, so the core can be tested exhaustively, timed alone, replayed
offline and embedded by the Faust agents.

Pipeline. ``parse_command`` is the stateless part (decode, validate in the
contract's order, map the original app's shape, default ``order_id`` to
``TOPIC-PARTITION-OFFSET``); it returns a ``Command`` or a ``Rejection``.
``OrderBook.apply(command, now)`` is the stateful part of one symbol
(duplicate ids, unknown order and owner checks, matching). ``Engine.process``
chains both for many symbols and renders ``Output`` triples.

Events. ``ApplyResult.events`` are compact plain tuples (see
``engine.events``) and ``Rejection`` objects; ``result_outputs`` renders them
with a snapshot into ``Output(topic, key, json)`` triples: each value in the
contract's shape, as the compact UTF-8 JSON that is published (``engine.render``;
``Output.value`` decodes it).

Time. ``now`` is integer microseconds since the epoch (``engine.clock``); the
core never reads the clock, so the dedup window and every ``ts`` follow the
caller and a replay with the same times gives the same bytes.

Publishing order for one command: for a new order, ``accepted``; then per
fill the trade, the resting order's ``partially_filled``/``filled`` and the
aggressor's ``partially_filled``/``filled``; then, if the remainder does not
rest, its ``expired`` (``self_trade`` outranks ``fok_unfillable``,
``no_liquidity`` and ``ioc_remainder``). A cancel gives ``cancelled``; an
amend gives ``amended`` and, when it re-enters, the events of its sweep.
Terminal events report ``remaining_quantity`` 0; what was cancelled or
expired is ``quantity - filled_quantity``.

Market data. After every command that changed the book (an order rested,
traded, was reduced, moved or left the book) one ``market-data`` snapshot of
that symbol is published, last, after the command's trades and events. It
holds the best bid and ask, the top 10 levels per side as ``[price, total
quantity]`` pairs, the last trade, ``trade_seq`` and ``seq`` (the symbol's
book-change sequence, incremented by exactly those commands). Rejections,
no-op amends and orders that neither rest nor trade publish none. Levels keep
their total quantity, so a snapshot reads 20 levels, never the orders.

State. ``OrderBook.to_rows()`` gives one row per resting order (with its
per-symbol ``arrival`` number for time priority), the dedup window
(id -> accepted time) and small metadata (trade, arrival and book
sequences, last trade); ``OrderBook.from_rows`` rebuilds an identical book
(same ``state_hash()``). ``ApplyResult.delta()`` reports only what one command
changed.

Performance. The hot path makes no reference cycles, so an embedding process
may freeze and switch off CPython's cyclic GC (``gc.freeze(); gc.disable()``)
once its books are loaded; ``bench/`` measures both ways.
"""

from engine.book import ApplyResult, OrderBook
from engine.clock import Micros, format_iso, micros_from_datetime, parse_iso, wall_clock
from engine.commands import AmendOrder, CancelOrder, Command, NewOrder
from engine.config import EngineConfig, SymbolSpec
from engine.engine import Engine
from engine.outputs import (
    MARKET_DATA,
    ORDER_EVENTS,
    TRADES,
    Output,
    rejection_output,
    result_outputs,
)
from engine.parsing import parse_command
from engine.rejections import Rejection
from engine.rows import BookRows, StateDelta

__all__ = [
    "MARKET_DATA",
    "ORDER_EVENTS",
    "TRADES",
    "AmendOrder",
    "ApplyResult",
    "BookRows",
    "CancelOrder",
    "Command",
    "Engine",
    "EngineConfig",
    "Micros",
    "NewOrder",
    "OrderBook",
    "Output",
    "Rejection",
    "StateDelta",
    "SymbolSpec",
    "format_iso",
    "micros_from_datetime",
    "parse_command",
    "parse_iso",
    "rejection_output",
    "result_outputs",
    "wall_clock",
]

"""Ingress: raw `orders` messages in, validated commands out, re-keyed by symbol.

Stateless, so it scales with the partitions of `orders`, whatever key producers used. A
message it cannot accept becomes a `rejected` order event. When the message names a
symbol, the rejection travels through the commands topic like any command, so the
matcher publishes it in its place among that symbol's events, exactly where `order-replay`
does; a message without a readable symbol is rejected here.
"""

from __future__ import annotations

import logging

from agents.publish import publish
from agents.rejects import rejection_command
from app import settings
from app.exactly_once import batches_of_work, send
from app.faust_app import app
from app.record_batches import RecordBatch
from engine import Rejection, parse_command, wall_clock
from engine.outputs import encode_json, rejection_output
from topology.topics import orders

log = logging.getLogger(__name__)
ENGINE_CONFIG = settings.engine_config()
COMMANDS = settings.COMMANDS_TOPIC


async def validate_all(batch: RecordBatch) -> None:
    for record in batch.records:
        await validate(record)


async def validate(record) -> None:
    """Validate one message in the contract's order; forward or reject it."""
    parsed = parse_command(record.value, topic=record.topic, partition=record.partition,
                           offset=record.offset, now=wall_clock(), config=ENGINE_CONFIG)
    if not isinstance(parsed, Rejection):
        await forward(parsed.symbol, parsed.to_dict())
        return
    log.info("rejected %s-%d-%d: %s %s", record.topic, record.partition, record.offset,
             parsed.reason, parsed.detail)
    if parsed.symbol is None:
        await publish(rejection_output(parsed))
    else:
        await forward(parsed.symbol, rejection_command(parsed))


async def forward(symbol: str, value: dict) -> None:
    """To the matcher of the symbol: the commands topic, keyed (and so partitioned) by it."""
    await send(COMMANDS, symbol.encode(), encode_json(value))


@app.agent(orders)
async def ingress(stream):
    """Each fetched batch of a partition is one unit of work of its transaction."""
    await batches_of_work(stream, validate_all)

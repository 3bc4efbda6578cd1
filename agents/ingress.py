"""Ingress: raw `orders` messages in, validated commands applied where their book lives.

A message names its symbol, and the symbol's book lives in the partition the symbol's key
gets. Producers that key orders by symbol (the contract asks them to) put each message in
that partition already, and ingress hands the command straight to the matcher, in the
same unit of work and transaction: one hop, as Kafka Streams skips a repartition topic
when the key is already right. A message keyed otherwise (no key, a wrong one, a topic
with another partition count) is re-keyed: sent to the commands topic with the symbol as
key, where the symbol's matcher reads it. Either way a symbol's messages from one
partition keep their order, which is all `order-replay` and Kafka promise.

A message it cannot accept becomes a `rejected` order event; when it names a symbol the
rejection takes the same road, so it comes out in its place among that symbol's events,
where `order-replay` puts it. A message without a readable symbol is rejected here.
"""

from __future__ import annotations

import logging

from agents.matcher import apply_command
from agents.publish import publish
from agents.rejects import rejection_command
from app import settings
from app.exactly_once import batches_of_work, in_this_transaction, send
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
    if isinstance(parsed, Rejection):
        log.info("rejected %s-%d-%d: %s %s", record.topic, record.partition, record.offset,
                 parsed.reason, parsed.detail)
        if parsed.symbol is None:
            await publish(rejection_output(parsed))
            return
    symbol = parsed.symbol.encode()
    if await in_this_transaction(COMMANDS, symbol):
        await apply_command(record.partition, parsed)
    elif isinstance(parsed, Rejection):
        await send(COMMANDS, symbol, encode_json(rejection_command(parsed)))
    else:
        await send(COMMANDS, symbol, encode_json(parsed.to_dict()))


@app.agent(orders)
async def ingress(stream):
    """Each fetched batch of a partition is one unit of work of its transaction."""
    await batches_of_work(stream, validate_all)

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
from app.exactly_once import send, units_of_work
from app.faust_app import app
from engine import Rejection, parse_command, wall_clock
from engine.outputs import encode_json, rejection_output
from topology.topics import orders

log = logging.getLogger(__name__)
ENGINE_CONFIG = settings.engine_config()
COMMANDS = settings.COMMANDS_TOPIC


async def validate(event) -> None:
    """Validate one message in the contract's order; forward or reject it."""
    message = event.message
    parsed = parse_command(event.value, topic=message.topic, partition=message.partition,
                           offset=message.offset, now=wall_clock(), config=ENGINE_CONFIG)
    if not isinstance(parsed, Rejection):
        await forward(parsed.symbol, parsed.to_dict())
        return
    log.info("rejected %s-%d-%d: %s %s", message.topic, message.partition, message.offset,
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
    """Each message is one unit of work of its partition's transaction."""
    await units_of_work(stream, validate)

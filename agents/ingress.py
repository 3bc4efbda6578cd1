"""Ingress: raw `orders` messages in, validated commands out, re-keyed by symbol.

Stateless, so it scales with the partitions of `orders`, whatever key producers used. A
message it cannot accept becomes a `rejected` order event here and goes no further.
"""

from __future__ import annotations

import logging

from agents.publish import publish
from app import settings
from app.exactly_once import units_of_work
from app.faust_app import app
from engine import Rejection, parse_command, wall_clock
from engine.outputs import rejection_output
from topology.topics import commands, orders

log = logging.getLogger(__name__)
ENGINE_CONFIG = settings.engine_config()


async def validate(event) -> None:
    """Validate one message in the contract's order; forward or reject it."""
    message = event.message
    parsed = parse_command(event.value, topic=message.topic, partition=message.partition,
                           offset=message.offset, now=wall_clock(), config=ENGINE_CONFIG)
    if isinstance(parsed, Rejection):
        log.info("rejected %s-%d-%d: %s %s", message.topic, message.partition,
                 message.offset, parsed.reason, parsed.detail)
        await publish(rejection_output(parsed))
    else:
        await commands.send(key=parsed.symbol, value=parsed.to_dict())


@app.agent(orders)
async def ingress(stream):
    """Each message is one unit of work of its partition's transaction."""
    await units_of_work(stream, validate)

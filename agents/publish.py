"""Sending the pure core's outputs to their Kafka topics."""

from __future__ import annotations

from app.exactly_once import send
from engine import Output
from topology.topics import OUTPUT_TOPICS


async def publish(output: Output) -> None:
    """The send joins the exactly-once transaction of the event being processed."""
    key = None if output.key is None else output.key.encode()
    await send(OUTPUT_TOPICS[output.topic], key, output.json)

"""Sending the pure core's outputs to their Kafka topics."""

from __future__ import annotations

from engine import Output
from topology.topics import outputs


async def publish(output: Output) -> None:
    """Within an agent, the send joins the exactly-once transaction of the source partition."""
    await outputs[output.topic].send(key=output.key, value=output.value)

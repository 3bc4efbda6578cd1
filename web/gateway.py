"""The page's way into the engine: a plain Kafka producer on `orders`, like any client's.

Not the worker's own producer: in exactly-once mode a send from a worker that consumes
`orders` joins that partition's open transaction, so an order the page was told "sent" could
be aborted with it, and would wait for the next commit to become visible. The message sent
is the very body the page posted (once it passed the engine's validator), keyed by symbol.
"""

from __future__ import annotations

import logging
from typing import Any

from aiokafka import AIOKafkaProducer
from mode import Service

from app import settings

log = logging.getLogger(__name__)


class OrderGateway(Service):
    """An idempotent producer, started and stopped with the web server."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.producer: AIOKafkaProducer | None = None

    async def on_start(self) -> None:
        self.producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers(),
                                         enable_idempotence=True, acks="all")
        await self.producer.start()

    async def on_stop(self) -> None:
        if self.producer is not None:
            await self.producer.stop()

    async def send(self, symbol: str, raw: bytes) -> str:
        """Produce one order message; returns the id the engine gives it if it has none.

        An order without `order_id` becomes `TOPIC-PARTITION-OFFSET` in the engine.
        """
        sent = await self.producer.send_and_wait(settings.ORDERS_TOPIC, raw,
                                                 key=symbol.encode())
        log.info("page order sent to %s-%d-%d", sent.topic, sent.partition, sent.offset)
        return f"{sent.topic}-{sent.partition}-{sent.offset}"

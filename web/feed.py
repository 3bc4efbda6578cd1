"""The live feed: committed trades, market data and order events, fanned out to the page.

Every worker with a web server reads every partition of `trades`, `market-data` and
`order-events` (read_committed, no consumer group, so it takes nothing from the engine's
group), so any worker can serve any page: what it shows is what the engine committed. It
keeps the last trades of each symbol (primed from the tail of `trades` at start) and hands
each subscriber a coalesced batch: the latest depth of its symbol, the trades since the
last batch, and the order events of its user. A page connected through a slow link gets
fewer, larger batches, never an ever-growing queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from mode import Service

from app import settings

log = logging.getLogger(__name__)

#: Pending items a subscriber may hold before the oldest are dropped.
BACKLOG = 1000


@dataclass
class Batch:
    """What a subscriber has not been sent yet."""

    depth: dict[str, Any] | None = None
    trades: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.depth is not None or bool(self.trades) or bool(self.orders)


class Subscription:
    """One page's view: a symbol's depth and trades, and a user's order events and fills."""

    def __init__(self, symbol: str | None, user: str | None) -> None:
        self.symbol, self.user = symbol, user
        self.pending = Batch()
        self.ready = asyncio.Event()
        self.closed = False

    def wants(self, kind: str, value: dict[str, Any]) -> bool:
        """Its symbol's depth and trades; its user's order events and trades (fills)."""
        mine = self.user is not None and self.user in (
            value.get("user_id"), value.get("buy_user_id"), value.get("sell_user_id"))
        if kind == "orders":
            return mine
        return value.get("symbol") == self.symbol or (kind == "trades" and mine)

    def push(self, kind: str, value: dict[str, Any]) -> None:
        if kind == "depth":
            self.pending.depth = value
        else:
            backlog = getattr(self.pending, kind)
            backlog.append(value)
            del backlog[:-BACKLOG]
        self.ready.set()

    def close(self) -> None:
        self.closed = True
        self.ready.set()

    async def next_batch(self, timeout: float) -> Batch | None:
        """The pending batch (empty after `timeout`), or None once the feed has closed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ready.wait(), timeout)
        if self.closed:
            return None
        self.ready.clear()
        batch, self.pending = self.pending, Batch()
        return batch


class MarketFeed(Service):
    """A plain consumer of the engine's committed outputs, and the page subscriptions."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.topics = {settings.TRADES_TOPIC: "trades", settings.MARKET_DATA_TOPIC: "depth",
                       settings.ORDER_EVENTS_TOPIC: "orders"}
        self.recent: dict[str, deque[dict[str, Any]]] = defaultdict(
            lambda: deque(maxlen=settings.FEED_TRADES_KEPT))
        self.subscriptions: set[Subscription] = set()
        self.consumer: AIOKafkaConsumer | None = None

    def subscribe(self, symbol: str | None, user: str | None) -> Subscription:
        subscription = Subscription(symbol, user)
        self.subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self.subscriptions.discard(subscription)

    def close_subscriptions(self) -> None:
        """End every page stream, so the web server can stop without waiting for them."""
        for subscription in self.subscriptions:
            subscription.close()

    def recent_trades(self, symbol: str, limit: int) -> list[dict[str, Any]]:
        """The symbol's latest trades, newest first."""
        trades = self.recent.get(symbol, ())
        return [trades[-n] for n in range(1, min(limit, len(trades)) + 1)]

    async def on_start(self) -> None:
        parts = await _partitions(list(self.topics))
        missing = [topic for topic in self.topics if not parts.get(topic)]
        if missing:
            log.warning("feed: topics %s do not exist; the page will not show them", missing)
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.bootstrap_servers(), group_id=None,
            isolation_level="read_committed", enable_auto_commit=False, fetch_max_wait_ms=100)
        await self.consumer.start()
        self.consumer.assign([tp for tps in parts.values() for tp in tps])
        trades = parts.get(settings.TRADES_TOPIC, [])
        await self._seek(trades, settings.FEED_PRIME_PER_PARTITION)
        await self._seek([tp for tps in parts.values() for tp in tps if tp not in trades], 0)

    async def _seek(self, tps: list[TopicPartition], back: int) -> None:
        if not tps:
            return
        ends = await self.consumer.end_offsets(tps)
        starts = await self.consumer.beginning_offsets(tps)
        for tp in tps:
            self.consumer.seek(tp, max(starts[tp], ends[tp] - back))

    async def on_stop(self) -> None:
        self.close_subscriptions()
        if self.consumer is not None:
            await self.consumer.stop()

    @Service.task
    async def _consume(self) -> None:
        while not self.should_stop:
            batches = await self.consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                self.dispatch((self.topics[r.topic], r.value) for r in records)

    def dispatch(self, records: Iterable[tuple[str, bytes]]) -> None:
        """Keep trades and hand each record to the subscriptions that want it."""
        for kind, raw in records:
            if kind != "trades" and not self.subscriptions:
                continue  # only trades are kept for pages to come
            try:
                value = json.loads(raw)
            except (TypeError, ValueError):
                log.warning("feed: skipped a %s record that is not JSON", kind)
                continue
            if kind == "trades":
                self.recent[value.get("symbol")].append(value)
            for subscription in self.subscriptions:
                if subscription.wants(kind, value):
                    subscription.push(kind, value)


async def _partitions(topics: list[str]) -> dict[str, list[TopicPartition]]:
    """Each existing topic's partitions, as the broker describes them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers())
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return {d["topic"]: [TopicPartition(d["topic"], p["partition"]) for p in d["partitions"]]
            for d in described if not d["error_code"]}

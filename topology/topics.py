"""Every topic of the topology, declared once with its serialisation.

`orders` is read as raw bytes: whatever a producer wrote, even garbage, reaches the ingress
agent, which turns what it cannot read into a `rejected` event instead of crashing.
"""

from __future__ import annotations

from app import settings
from app.faust_app import app
from engine import MARKET_DATA, ORDER_EVENTS, TRADES

orders = app.topic(settings.ORDERS_TOPIC, key_serializer="raw", value_serializer="raw")

commands = app.topic(
    settings.COMMANDS_TOPIC, key_serializer="raw", value_serializer="raw",
    partitions=settings.TOPIC_PARTITIONS, internal=True,
)

#: The engine's output topics, by the names the pure core gives them. Agents send their
#: serialised outputs straight to the transaction (`app.exactly_once.send`).
OUTPUT_TOPICS = {TRADES: settings.TRADES_TOPIC, ORDER_EVENTS: settings.ORDER_EVENTS_TOPIC,
                 MARKET_DATA: settings.MARKET_DATA_TOPIC}

#: What the Cassandra sink reads: the committed trades and order events, as raw bytes so a
#: stray message written by hand is logged and skipped, never a crash.
sink_sources = app.topic(settings.TRADES_TOPIC, settings.ORDER_EVENTS_TOPIC,
                         key_serializer="raw", value_serializer="raw")

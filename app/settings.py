"""The engine's configuration, read once from environment variables with sane defaults.

Kept free of Faust imports so the service scripts and tests can read topic names cheaply.
"""

from __future__ import annotations

import os

APP_ID = os.environ.get("APP_ID", "order-matching")
BROKER = os.environ.get("KAFKA_BROKER", "kafka://127.0.0.1:9092")
#: RocksDB through rocksdict; `memory://` only for unit tests of agents.
STORE = os.environ.get("FAUST_STORE", "rocksdb://")
DATA_DIR = os.environ.get("FAUST_DATADIR", ".run/worker-data")
WEB_PORT = int(os.environ.get("WEB_PORT", 6066))
WEB_HOST = os.environ.get("WEB_HOST", "0.0.0.0")
TOPIC_PARTITIONS = int(os.environ.get("TOPIC_PARTITIONS", 8))

ORDERS_TOPIC = os.environ.get("ORDERS_TOPIC", "orders")
TRADES_TOPIC = os.environ.get("TRADES_TOPIC", "trades")
ORDER_EVENTS_TOPIC = os.environ.get("ORDER_EVENTS_TOPIC", "order-events")
MARKET_DATA_TOPIC = os.environ.get("MARKET_DATA_TOPIC", "market-data")

#: The topics the engine reads and writes, created with TOPIC_PARTITIONS partitions.
PUBLIC_TOPICS = (ORDERS_TOPIC, TRADES_TOPIC, ORDER_EVENTS_TOPIC, MARKET_DATA_TOPIC)


def bootstrap_servers() -> str:
    """`host:port` for plain Kafka clients, from Faust's `kafka://host:port` URL."""
    return BROKER.removeprefix("kafka://")

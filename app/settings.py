"""The engine's configuration, read once from environment variables with sane defaults.

Kept free of Faust imports so the service scripts and tests can read topic names cheaply.
"""

from __future__ import annotations

import os
from decimal import Decimal

from engine import EngineConfig, SymbolSpec
from engine.clock import MICROS_PER_SECOND
from engine.config import DEFAULT_DEDUP_IDS, DEFAULT_DEDUP_WINDOW

#: Which agents this worker runs: `engine` (ingress and matcher), `sink` (Cassandra records).
WORKER_AGENTS = frozenset(name.strip() for name in
                          os.environ.get("WORKER_AGENTS", "engine,sink").split(",") if name.strip())
ENGINE_APP_ID = os.environ.get("APP_ID", "order-matching")
#: A sink-only worker is a consumer group of its own, so it scales apart from the engine.
APP_ID = (os.environ.get("SINK_APP_ID", f"{ENGINE_APP_ID}-sink") if "engine" not in WORKER_AGENTS
          else ENGINE_APP_ID)
BROKER = os.environ.get("KAFKA_BROKER", "kafka://127.0.0.1:9092")
#: RocksDB through rocksdict; `memory://` only for unit tests of agents.
STORE = os.environ.get("FAUST_STORE", "rocksdb://")
DATA_DIR = os.environ.get("FAUST_DATADIR", ".run/worker-data")
WEB_PORT = int(os.environ.get("WEB_PORT", 6066))
WEB_HOST = os.environ.get("WEB_HOST", "0.0.0.0")
#: How long a silent (crashed) worker keeps its partitions before the group moves them.
SESSION_TIMEOUT_S = float(os.environ.get("BROKER_SESSION_TIMEOUT", 30))
#: Seconds between exactly-once commits: committed outputs (what read_committed consumers,
#: the page among them, see) lag by up to this much per agent hop. Kafka Streams' default
#: under exactly-once is 0.1 s; Faust's 2.8 s kept the page seconds behind.
COMMIT_INTERVAL_S = float(os.environ.get("COMMIT_INTERVAL", 0.1))
#: How long a producer waits to fill a batch (Faust's own variables). The agents hand
#: their records over in whole batches (`app.transaction_outputs`), so a wait would only
#: delay them; Faust's own sends (the page's orders) are one record each anyway.
PRODUCER_LINGER_S = float(os.environ.get("PRODUCER_LINGER", 0))
#: The longest the broker holds a fetch that finds no data. It also bounds how long a
#: partition can be left out of fetches (`app.exactly_once.ConsumerThread`); an idle
#: worker pays for it with a fetch request this often.
FETCH_MAX_WAIT_S = float(os.environ.get("FETCH_MAX_WAIT", 0.05))
#: How soon a producer retries a refused request; aiokafka waits 100 ms.
PRODUCER_RETRY_BACKOFF_S = float(os.environ.get("PRODUCER_RETRY_BACKOFF", 0.01))
#: Seconds between the worker's full garbage collections, which stop it for about 0.7 µs
#: per resting order (`app.garbage_collection`); 0 leaves CPython's own schedule.
GC_FULL_INTERVAL_S = float(os.environ.get("GC_FULL_INTERVAL", 600))
PRODUCER_MAX_BATCH_SIZE = int(os.environ.get("PRODUCER_MAX_BATCH_SIZE", 256 * 1024))
#: Records a transaction holds before handing them to its producer ahead of the commit
#: (`app.transaction_outputs`): enough for full produce requests.
HAND_OVER_RECORDS = int(os.environ.get("HAND_OVER_RECORDS", 1000))
#: Fetched batches waiting for a batch agent (`app.record_batches`) before the consumer
#: stops taking more; each holds up to Faust's `broker_max_poll_records` records.
BATCH_QUEUE_SIZE = int(os.environ.get("BATCH_QUEUE_SIZE", 2))
#: Standby copies of each table partition on other workers. None by default: Faust's
#: standby recovery crashed the worker under churn (a seek to a missing offset), and the
#: bulk restore (`app.fast_restore`) makes a moved partition's restore a matter of seconds.
#: A worker without tables (sink only) has nothing to copy, but Faust runs its own
#: assignor, which the transactional ids need, only with tables or standbys: it keeps 1.
STANDBY_REPLICAS = int(os.environ.get("TABLE_STANDBY_REPLICAS",
                                      0 if "engine" in WORKER_AGENTS else 1))
TOPIC_PARTITIONS = int(os.environ.get("TOPIC_PARTITIONS", 8))

ORDERS_TOPIC = os.environ.get("ORDERS_TOPIC", "orders")
TRADES_TOPIC = os.environ.get("TRADES_TOPIC", "trades")
ORDER_EVENTS_TOPIC = os.environ.get("ORDER_EVENTS_TOPIC", "order-events")
MARKET_DATA_TOPIC = os.environ.get("MARKET_DATA_TOPIC", "market-data")

#: Validated commands re-keyed by symbol: the matcher's input (internal to the app).
COMMANDS_TOPIC = os.environ.get("COMMANDS_TOPIC", f"{ENGINE_APP_ID}-commands")

#: The trader page (`web/`): trades kept per symbol for the tape and chart, read back from
#: the tail of each `trades` partition at start; at most one page update per interval.
FEED_TRADES_KEPT = int(os.environ.get("FEED_TRADES_KEPT", 200))
FEED_PRIME_PER_PARTITION = int(os.environ.get("FEED_PRIME_PER_PARTITION", 2000))
STREAM_INTERVAL_S = float(os.environ.get("STREAM_INTERVAL", 0.25))
#: Seconds the page's read of a user's orders from Cassandra may take before a 503.
HISTORY_TIMEOUT_S = float(os.environ.get("HISTORY_TIMEOUT", 5))

#: The topics users read and write, created by provisioning with TOPIC_PARTITIONS partitions.
PUBLIC_TOPICS = (ORDERS_TOPIC, TRADES_TOPIC, ORDER_EVENTS_TOPIC, MARKET_DATA_TOPIC)


#: The Cassandra sink: requests in flight, rows per single-partition batch, how long a
#: partial batch waits, the longest retry backoff, how long a stopping sink may drain.
SINK_CONCURRENCY = int(os.environ.get("SINK_CONCURRENCY", 32))
SINK_BATCH_ROWS = int(os.environ.get("SINK_BATCH_ROWS", 16))
SINK_LINGER_MS = float(os.environ.get("SINK_LINGER_MS", 5))
SINK_RETRY_MAX_S = float(os.environ.get("SINK_RETRY_MAX_S", 5))
SINK_DRAIN_S = float(os.environ.get("SINK_DRAIN_S", 10))


def bootstrap_servers() -> str:
    """`host:port` for plain Kafka clients, from Faust's `kafka://host:port` URL."""
    return BROKER.removeprefix("kafka://")


def engine_config() -> EngineConfig:
    """Tick and lot size of every symbol and the duplicate-id window, from the environment."""
    spec = SymbolSpec(tick=Decimal(os.environ.get("TICK_SIZE", "0.01")),
                      lot=int(os.environ.get("LOT_SIZE", 1)))
    window_s = os.environ.get("DEDUP_WINDOW_SECONDS")
    window = DEFAULT_DEDUP_WINDOW if window_s is None else int(window_s) * MICROS_PER_SECOND
    ids = int(os.environ.get("DEDUP_WINDOW_IDS", DEFAULT_DEDUP_IDS))
    return EngineConfig(default=spec, dedup_window=window, dedup_ids=ids)

#: Topic configs of the tables' changelogs (compacted by Faust): small segments and an
#: eager cleaner, so a restore reads about one record per live row, not the history.
CHANGELOG_TOPIC_CONFIG = {
    "segment.ms": str(int(os.environ.get("CHANGELOG_SEGMENT_MS", 10 * 60 * 1000))),
    "min.cleanable.dirty.ratio": os.environ.get("CHANGELOG_DIRTY_RATIO", "0.1"),
}

"""The Faust application: one place that turns settings into a configured `faust.App`.

Agents, tables and topics import `app` from here; nothing here imports them back, so any
module of the project imports on its own.
"""

from __future__ import annotations

from typing import Any

from app import settings
from app.exactly_once import App
from app.fast_restore import TableManager


def create_app(app_id: str = settings.APP_ID, **overrides: Any) -> App:
    """Exactly-once processing and RocksDB tables: the settings a matching engine needs.

    Tests and tools pass overrides (another id, data dir, port) and keep everything else.
    """
    options: dict[str, Any] = {
        "broker": settings.BROKER,
        "store": settings.STORE,
        "processing_guarantee": "exactly_once",
        "topic_partitions": settings.TOPIC_PARTITIONS,
        "topic_replication_factor": 1,
        "datadir": settings.DATA_DIR,
        "web_port": settings.WEB_PORT,
        "web_host": settings.WEB_HOST,
        "consumer_auto_offset_reset": "earliest",
        "producer_acks": -1,
        "broker_session_timeout": settings.SESSION_TIMEOUT_S,
        "broker_commit_interval": settings.COMMIT_INTERVAL_S,
        "producer_linger": settings.PRODUCER_LINGER_S,
        "producer_max_batch_size": settings.PRODUCER_MAX_BATCH_SIZE,
        "TableManager": TableManager,
        "table_standby_replicas": settings.STANDBY_REPLICAS,
    }
    options.update(overrides)
    return App(app_id, **options)


app = create_app()

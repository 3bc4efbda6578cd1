"""A long-lived driver session for the sink and the readers, from the environment.

Host, port and keyspace come from `services.config.Settings` (CASSANDRA_HOST,
CASSANDRA_PORT, CASSANDRA_KEYSPACE). The driver's default reconnection backs off to 10
minutes; a sink waiting out an outage should notice a restarted node within seconds.
"""

from __future__ import annotations

import os

from cassandra.cluster import Session
from cassandra.policies import ExponentialReconnectionPolicy

from services import cassandra
from services.config import Settings

RECONNECT_MAX_S = float(os.environ.get("CASSANDRA_RECONNECT_MAX_S", 5))


def connect(settings: Settings | None = None) -> Session:
    """A connected session (raises NoHostAvailable if the node is down); the caller owns
    `session.cluster` and shuts it down."""
    policy = ExponentialReconnectionPolicy(base_delay=0.2, max_delay=RECONNECT_MAX_S)
    clu = cassandra.cluster(settings or Settings(), reconnection_policy=policy)
    try:
        return clu.connect()
    except Exception:
        clu.shutdown()
        raise

"""The health of each partition's transactions: in the worker's log and on a JSON view.

A partition whose transactions stopped committing is the first sign of trouble (a dead
producer, a stuck event); `GET /transactions/` shows, per transactional id, the commits
and rollbacks so far, the seconds since the last commit, the events waiting in the open
transaction and how long the oldest has waited (the commit lag), and the producer's state.
"""

from __future__ import annotations

import logging
import os

from app.faust_app import app

log = logging.getLogger(__name__)

LOG_INTERVAL_S = float(os.environ.get("TRANSACTION_HEALTH_LOG_SECONDS", 30))


@app.page("/transactions/")
async def transaction_health(web, request):
    """Per transactional id: commits, rollbacks, commit lag and producer state."""
    return web.json(app.consumer.transactions.states())


@app.timer(interval=LOG_INTERVAL_S)
async def log_transaction_health() -> None:
    states = app.consumer.transactions.states()
    lagging = {tid: s for tid, s in states.items() if s["commit_lag_seconds"] is not None}
    log.info("transactions: %d partitions, %d commits, %d rollbacks; open: %s",
             len(states), sum(s["commits"] for s in states.values()),
             sum(s["rollbacks"] for s in states.values()),
             {tid: (s["uncommitted_events"], s["commit_lag_seconds"])
              for tid, s in lagging.items()} or "none")

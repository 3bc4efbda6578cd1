"""CPython's full garbage collections, moved off the order flow's critical moments.

Every resting order is one object the cyclic collector tracks, and a full collection
walks all of them with the event loop stopped: 76 ms for 100,000 resting orders and
573 ms for a million on this machine (`python -m bench.memory`). CPython starts one
whenever the long-lived objects have grown by a quarter since the last: twelve times
while the benchmark's 100,000 orders came to rest, about a second in all, and each stall
longer as the books grow; every order waiting meanwhile paid for it.

The books make no reference cycles (see `engine`); the worker's own cycles (asyncio tasks,
aiokafka requests, exceptions) are young and die young, and the young collections, which
walk only new objects, keep freeing them. So the automatic full collections are off and
one runs every `GC_FULL_INTERVAL` seconds instead, for the cycles that become garbage only
after they grew old (a collection every 10 s at 3,000 orders a second found none). An
interval of 0 leaves CPython's own schedule.
"""

from __future__ import annotations

import gc
import logging
import time

from app import settings
from app.faust_app import app

log = logging.getLogger(__name__)

#: Collections of the middle generation before a full one: never, in practice.
NO_AUTOMATIC_FULL_COLLECTION = 2**31 - 1


async def stop_automatic_full_collections() -> None:
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, NO_AUTOMATIC_FULL_COLLECTION)


async def full_collection() -> None:
    """One full collection, logged with how long it stopped the worker."""
    began = time.perf_counter()
    freed = gc.collect()
    log.info("full garbage collection: %d objects freed, %.0f ms",
             freed, (time.perf_counter() - began) * 1e3)


if settings.GC_FULL_INTERVAL_S > 0:
    app.task(stop_automatic_full_collections)
    app.timer(interval=settings.GC_FULL_INTERVAL_S)(full_collection)

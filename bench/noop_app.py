"""A no-op exactly-once Faust agent: copies `BENCH_SOURCE` to `BENCH_SINK`, nothing else.

Built by the engine's own `create_app` (same App class, exactly-once fixes and settings)
and run through `app.exactly_once.units_of_work` as the real agents are, so the pipeline
measured beside it differs only by its work: parsing, matching, tables, more sends.
Run by `bench.pipeline` as `faust -A bench.noop_app worker`.
"""

from __future__ import annotations

import os

from app.exactly_once import send, units_of_work
from app.faust_app import create_app

#: No tables: like a sink-only worker it keeps a standby replica, so that Faust runs its
#: own assignor, which the transactional ids need (`app.settings.STANDBY_REPLICAS`).
app = create_app(os.environ["BENCH_APP_ID"], table_standby_replicas=1)
source = app.topic(os.environ["BENCH_SOURCE"], key_serializer="raw", value_serializer="raw")
SINK = os.environ["BENCH_SINK"]


async def copy(event) -> None:
    """One send per event, in the event's transaction, the way the engine's agents send."""
    await send(SINK, event.key, event.value)


@app.agent(source)
async def passthrough(stream):
    await units_of_work(stream, copy)

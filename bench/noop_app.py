"""A no-op exactly-once Faust agent: copies `BENCH_SOURCE` to `BENCH_SINK`, nothing else.

Built by the engine's own `create_app` (same App class, exactly-once fixes and settings).
By default it reads Faust's own stream, event by event (`units_of_work`, as the sink
does): the Faust passthrough. With `BENCH_BATCHES=1` it takes whole fetched batches as the
engine's agents do (`batches_of_work`), so the pipeline measured beside it differs only
by its work: parsing, matching, tables, more sends.
Run by `bench.pipeline` as `faust -A bench.noop_app worker`.
"""

from __future__ import annotations

import os

from app.exactly_once import batches_of_work, send, units_of_work
from app.faust_app import create_app
from app.record_batches import RecordBatch

#: No tables: like a sink-only worker it keeps a standby replica, so that Faust runs its
#: own assignor, which the transactional ids need (`app.settings.STANDBY_REPLICAS`).
app = create_app(os.environ["BENCH_APP_ID"], table_standby_replicas=1)
source = app.topic(os.environ["BENCH_SOURCE"], key_serializer="raw", value_serializer="raw")
SINK = os.environ["BENCH_SINK"]


async def copy(event) -> None:
    """One send per event, in the event's transaction, the way the engine's agents send."""
    await send(SINK, event.key, event.value)


async def copy_all(batch: RecordBatch) -> None:
    for record in batch.records:
        await send(SINK, record.key, record.value)


@app.agent(source)
async def passthrough(stream):
    if os.environ.get("BENCH_BATCHES") == "1":
        await batches_of_work(stream, copy_all)
    else:
        await units_of_work(stream, copy)

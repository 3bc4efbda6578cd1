"""A one-agent Faust app built by the engine's own `create_app`: proves the stack end to end.

Run by tests as `faust -A tests.stack.probe_app worker`; topic names come from the environment
so each test run uses fresh ones.
"""

from __future__ import annotations

import os

from app.faust_app import create_app

app = create_app(os.environ["PROBE_APP_ID"])
source = app.topic(os.environ["PROBE_SOURCE"], key_serializer="raw", value_serializer="raw")
output = app.topic(os.environ["PROBE_OUTPUT"], key_serializer="raw", value_serializer="raw")
counts = app.Table("probe-counts", default=int)


@app.agent(source)
async def count(stream):
    """Count messages per key in a RocksDB table and publish the new count."""
    async for key, _value in stream.items():
        counts[key] += 1
        await output.send(key=key, value=str(counts[key]).encode())

"""`GET /api/stream?symbol=AAPL&user=alice`: the page's live updates, as server-sent events.

Events (each `data:` is JSON): `trades` (a list: the symbol's new trades and the user's
fills), `orders` (a list of the user's order events, any symbol) and `depth` (the symbol's
latest `market-data` snapshot). At most one batch per `STREAM_INTERVAL`; a comment line
keeps the connection alive when nothing happens. Any worker serves any stream.
"""

from __future__ import annotations

import asyncio
import json
import logging

from aiohttp.web import StreamResponse
from faust import web

from app import settings
from app.faust_app import app
from web.feed import Batch
from web.services import feed

log = logging.getLogger(__name__)

KEEP_ALIVE_S = 15.0


def encode(batch: Batch) -> bytes:
    """The batch as SSE frames: trades and order events first, then the depth they led to."""
    frames = [(kind, value) for kind, value in
              (("trades", batch.trades), ("orders", batch.orders), ("depth", batch.depth))
              if value]
    return "".join(f"event: {kind}\ndata: {json.dumps(value)}\n\n"
                   for kind, value in frames).encode()


@app.page("/api/stream", name="stream")
class Stream(web.View):
    """One page's stream; it ends when the page goes or the server stops."""

    async def get(self, request: web.Request) -> StreamResponse:
        symbol, user = request.query.get("symbol") or None, request.query.get("user") or None
        response = StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache"})
        await response.prepare(request)
        subscription = feed.subscribe(symbol, user)
        try:
            await response.write(b"retry: 1000\nevent: ready\ndata: {}\n\n")
            while (batch := await subscription.next_batch(KEEP_ALIVE_S)) is not None:
                await response.write(encode(batch) if batch else b": keep-alive\n\n")
                await asyncio.sleep(settings.STREAM_INTERVAL_S)
        except ConnectionResetError:
            log.debug("page stream closed by the browser")
        finally:
            feed.unsubscribe(subscription)
        return response

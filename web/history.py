"""A user's orders and fills from Cassandra, for the page's "my orders" after a reload.

The live feed only carries events from the moment a page subscribed; what happened before
is in the sink's tables, read through `records.reads.RecordReader`. One reader per worker,
connected on first use (a worker whose page nobody opens never connects) and shut down with
the web server. Every read is bounded by `HISTORY_TIMEOUT`: a page asking while Cassandra
is away gets an error, never a hung request.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from mode import Service

from app import settings
from records.connection import connect
from records.reads import RecordReader, Row
from services.config import Settings

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _open_reader(cassandra_settings: Settings) -> RecordReader:
    """Blocking: connect and prepare (run in a thread)."""
    session = connect(cassandra_settings)
    try:
        return RecordReader(session, cassandra_settings.cassandra_keyspace)
    except Exception:
        session.cluster.shutdown()
        raise


def _shutdown_when_done(task: asyncio.Task[RecordReader]) -> None:
    """A connection that finished after nobody waited any more is closed, not leaked."""
    if not task.cancelled() and task.exception() is None:
        task.result().session.cluster.shutdown()


class UserHistory(Service):
    """The lazily connected reader and the one question the page asks of it."""

    def __init__(self, cassandra_settings: Settings | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cassandra_settings = cassandra_settings
        self._connecting: asyncio.Task[RecordReader] | None = None

    async def user_orders(self, user_id: str, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
        """Open orders, the `limit` newest completed ones, and their newest `limit` fills.

        Raises TimeoutError or the driver's error when Cassandra does not answer in time.
        """
        return await asyncio.wait_for(self._user_orders(user_id, limit),
                                      settings.HISTORY_TIMEOUT_S)

    async def _user_orders(self, user_id: str, limit: int) -> dict[str, Any]:
        reader = await self._reader()
        open_orders, completed = await asyncio.gather(reader.open_orders(user_id),
                                                      reader.completed_orders(user_id))
        completed = completed[:limit]
        traded = [row for row in open_orders + completed if row["filled_quantity"]]
        fills = await asyncio.gather(*(reader.order_fills(row["symbol"], row["order_id"])
                                       for row in traded))
        return {"user_id": user_id, "open_orders": open_orders, "completed_orders": completed,
                "fills": newest_fills(fills, limit)}

    async def _reader(self) -> RecordReader:
        """The reader, connecting once; a failed attempt is forgotten so the next one retries."""
        if self._connecting is None or (self._connecting.done()
                                        and self._connecting.exception() is not None):
            found = self._cassandra_settings or Settings()  # the environment's, as the sink's
            self._connecting = asyncio.ensure_future(asyncio.to_thread(_open_reader, found))
        # Shielded: a request that times out leaves the connection to finish for the next one.
        return await asyncio.shield(self._connecting)

    async def on_stop(self) -> None:
        if self._connecting is None:
            return
        if self._connecting.done():
            _shutdown_when_done(self._connecting)
        else:
            self._connecting.add_done_callback(_shutdown_when_done)


def newest_fills(per_order: list[list[Row]], limit: int) -> list[Row]:
    """Each trade once (both sides may be the user's orders), newest first."""
    unique = {row["trade_id"]: row for rows in per_order for row in rows}
    return sorted(unique.values(), key=lambda row: row["ts"], reverse=True)[:limit]

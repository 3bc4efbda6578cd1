"""cassandra-driver's `execute_async` as asyncio awaitables.

The driver completes requests on its own I/O thread; results are handed to the event loop
with `call_soon_threadsafe`, and every page of a paged result is fetched.
"""

from __future__ import annotations

import asyncio
from typing import Any

from cassandra.cluster import ResponseFuture, Session


async def execute(session: Session, statement: Any, values: Any = None,
                  timeout: float | None = None) -> list[Any]:
    """All rows of `statement` (every page); raises what the driver raised."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[list[Any]] = loop.create_future()
    rows: list[Any] = []
    kwargs = {} if timeout is None else {"timeout": timeout}
    future: ResponseFuture = session.execute_async(statement, values, **kwargs)

    def settle(result: list[Any] | None, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(rows)

    def on_page(page: Any) -> None:
        rows.extend(page or ())
        if future.has_more_pages:
            future.start_fetching_next_page()
        else:
            loop.call_soon_threadsafe(settle, rows, None)

    def on_error(error: BaseException) -> None:
        loop.call_soon_threadsafe(settle, None, error)

    future.add_callbacks(on_page, on_error)
    return await done

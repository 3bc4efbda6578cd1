"""The page's two Kafka clients and its Cassandra reader, started and stopped with the
worker's web server.

They hang off `app.web`, so a worker run `--without-web` opens none. Open page streams
end when the server shuts down (aiohttp's `on_shutdown`), or it would wait for them.
"""

from __future__ import annotations

from typing import Any

from app.faust_app import app
from web.feed import MarketFeed
from web.gateway import OrderGateway
from web.history import UserHistory

feed = MarketFeed()
gateway = OrderGateway()
history = UserHistory()
for service in (feed, gateway, history):
    app.web.add_dependency(service)


async def _end_streams(_: Any) -> None:
    feed.close_subscriptions()


app.web.web_app.on_shutdown.append(_end_streams)

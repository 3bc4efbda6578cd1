"""The JSON views behind the page, each answered where the answer is right.

- `GET /api/symbols`: every symbol with a book, gathered from each worker's own partitions.
- `GET /api/symbols/{SYMBOL}/depth`: the book now, from the worker that owns the symbol.
- `GET /api/symbols/{SYMBOL}/orders/{ORDER_ID}`: an order's state, from the owner too.
- `GET /api/symbols/{SYMBOL}/trades?limit=50`: the latest committed trades, newest first
  (every worker reads every partition of `trades`, so any worker answers).
- `GET /api/users/{USER_ID}/orders?limit=50`: the user's open orders, newest completed
  orders and their fills, from Cassandra (the sink's tables); 503 when Cassandra does not
  answer in time.
- `POST /api/orders`: an order command (the contract's JSON); 422 with the engine's error
  for each bad field and nothing sent, else 202 once it is on `orders`.

A symbol in a path is canonical (upper case), the key the engine partitions by: Faust's
`table_route` hashes it to the owner's partition and forwards the request there.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from faust import web
from yarl import URL

from app import settings
from app.faust_app import app
from tables.books import book_meta
from web import owned
from web.history import DEFAULT_LIMIT, MAX_LIMIT
from web.services import feed, gateway, history
from web.validation import check_order

log = logging.getLogger(__name__)

ENGINE_CONFIG = settings.engine_config()
SYMBOL = "{symbol:[A-Z][A-Z0-9.]{0,11}}"
MAX_TRADES = settings.FEED_TRADES_KEPT


@app.page("/api/symbols", name="symbols")
class Symbols(web.View):
    """`?scope=local` is one worker's part, which the others ask for."""

    async def get(self, request: web.Request) -> web.Response:
        if request.query.get("scope") == "local":
            return self.json({"symbols": owned.symbols()})
        hosts = app.router.table_metadata(book_meta.name)
        if not hosts:
            raise self.ServiceUnavailable("no worker owns a partition yet")
        found: set[str] = set()
        for host in hosts:
            found.update(await self._symbols_of(URL(host)))
        return self.json({"symbols": sorted(found)})

    async def _symbols_of(self, host: URL) -> list[str]:
        if (host.host, host.port) == (app.conf.canonical_url.host, app.conf.canonical_url.port):
            return owned.symbols()
        url = host.with_path("/api/symbols").with_query(scope="local")
        async with app.http_client.get(url) as response:
            if response.status != HTTPStatus.OK:
                raise self.ServiceUnavailable(f"worker {host} answered {response.status}")
            return (await response.json())["symbols"]


@app.page(f"/api/symbols/{SYMBOL}/depth", name="depth")
class Depth(web.View):
    @app.table_route(table=book_meta, match_info="symbol")
    async def get(self, request: web.Request, symbol: str) -> web.Response:
        snapshot = await owned.depth(symbol)
        if snapshot is None:
            raise self.NotFound(f"no book for {symbol}")
        return self.json(snapshot)


@app.page(f"/api/symbols/{SYMBOL}/orders/{{order_id}}", name="order-status")
class OrderStatus(web.View):
    @app.table_route(table=book_meta, match_info="symbol")
    async def get(self, request: web.Request, symbol: str, order_id: str) -> web.Response:
        state = owned.order_state(symbol, order_id)
        if state is None:
            raise self.NotFound(f"no order {order_id} in {symbol}")
        return self.json(state)


def query_limit(view: web.View, request: web.Request, default: int, most: int) -> int:
    """`?limit=N`, capped at `most`; a 400 when it is not an integer."""
    try:
        return max(0, min(int(request.query.get("limit", default)), most))
    except ValueError as error:
        raise view.ValidationError("limit must be an integer") from error


@app.page(f"/api/symbols/{SYMBOL}/trades", name="trades")
class Trades(web.View):
    async def get(self, request: web.Request, symbol: str) -> web.Response:
        limit = query_limit(self, request, 50, MAX_TRADES)
        return self.json({"symbol": symbol, "trades": feed.recent_trades(symbol, limit)})


@app.page("/api/users/{user_id}/orders", name="user-orders")
class UserOrders(web.View):
    """Any worker answers: the rows are in Cassandra, whoever owns the symbols."""

    async def get(self, request: web.Request, user_id: str) -> web.Response:
        limit = query_limit(self, request, DEFAULT_LIMIT, MAX_LIMIT)
        try:
            return self.json(await history.user_orders(user_id, limit))
        except Exception as error:  # timeout, NoHostAvailable, driver errors: Cassandra away
            log.warning("user orders of %r unavailable: %r", user_id, error)
            raise self.ServiceUnavailable(f"order records unavailable: {error!r}") from error


@app.page("/api/orders", name="orders")
class Orders(web.View):
    async def post(self, request: web.Request) -> web.Response:
        raw = await self.read_request_content(request)
        checked = check_order(raw, ENGINE_CONFIG)
        if checked.command is None:
            return self.json({"errors": checked.errors}, status=HTTPStatus.UNPROCESSABLE_ENTITY)
        place = await gateway.send(checked.command.symbol, raw)
        order_id = checked.command.order_id if checked.has_id else place
        return self.json({"order_id": order_id, "symbol": checked.command.symbol,
                          "action": checked.command.action}, status=HTTPStatus.ACCEPTED)

"""One symbol's order book and its matching rules (the pure core).

``OrderBook.apply(command, now)`` runs one validated command: the stateful
checks (duplicate id, unknown order, owner), then price-time matching with
self-trade prevention. It returns an ``ApplyResult`` holding the events in
publishing order and, on demand, the state delta for a changelog.

``new``, ``cancel`` and ``amend`` are the same commands for an embedder that
holds validated fields (prices in ticks): no ``Command`` to build and take
apart, and they return the bare event list, with no result object; what
``delta()`` needs stays on the book until the next command.
"""

import hashlib
import json
from collections.abc import Iterable
from typing import Any, Final

from engine.clock import Micros, iso_json
from engine.commands import (
    BUY,
    FOK,
    GTC,
    IOC,
    MARKET,
    AmendOrder,
    CancelOrder,
    ClientTimestamp,
    Command,
    NewOrder,
)
from engine.config import DEFAULT_DEDUP_IDS, DEFAULT_DEDUP_WINDOW, DEFAULT_SPEC, SymbolSpec
from engine.dedup import DedupWindow
from engine.events import (
    ACCEPTED,
    AMENDED,
    CANCELLED,
    EXPIRED,
    FILLED,
    FOK_UNFILLABLE,
    IOC_REMAINDER,
    NO_LIQUIDITY,
    PARTIALLY_FILLED,
    SELF_TRADE,
    TRADE,
    OrderEvent,
    Trade,
)
from engine.orders import Order
from engine.prices import PriceTexts
from engine.rejections import DUPLICATE_ORDER_ID, NOT_OWNER, UNKNOWN_ORDER, Rejection
from engine.render import SymbolJson, decode_json, depth_json, last_trade_json
from engine.rows import (
    BookRows,
    LastTrade,
    Row,
    StateDelta,
    last_trade_from_meta,
    meta_row,
    order_from_row,
    order_row,
)
from engine.sides import BookSide

Event = Trade | OrderEvent | Rejection
DEPTH: Final = 10
_NO_IDS: Final[list[str]] = []  # shared, never mutated: "no id left the dedup window"


class ApplyResult:
    """The outcome of one command: its events and what it changed.

    ``delta()`` reads the live book, so call it before the next ``apply``. A slotted
    class, built natively when compiled (as ``engine.outputs.Output``).
    """

    __slots__ = ("book", "changed_orders", "events", "forgotten", "seen")

    def __init__(self, events: list[Event], changed_orders: list[Order], seen: str | None,
                 forgotten: list[str], book: "OrderBook") -> None:
        self.events, self.changed_orders, self.seen = events, changed_orders, seen
        self.forgotten, self.book = forgotten, book

    @property
    def changed(self) -> bool:
        """Did the book (depth or last trade) change? Then market data is due."""
        return bool(self.changed_orders)

    def delta(self) -> StateDelta:
        """Rows to upsert and delete and the new metadata, for a changelog."""
        book = self.book
        if book._events is not self.events:  # every command has a list of its own
            raise RuntimeError("delta() must be read before the book applies another command")
        live = book.orders
        upserted = {o.order_id: order_row(o, book.format_price)
                    for o in self.changed_orders if live.get(o.order_id) is o}
        deleted = list(dict.fromkeys(o.order_id for o in self.changed_orders
                                     if o.order_id not in live))
        seen = {} if self.seen is None else {self.seen: book.dedup.accepted_at[self.seen]}
        return StateDelta(upserted, deleted, seen, list(self.forgotten), book.meta())


class OrderBook:
    """Bids, asks, the resting orders by id, the dedup window and the sequences."""

    def __init__(self, symbol: str, spec: SymbolSpec = DEFAULT_SPEC,
                 dedup_window: Micros = DEFAULT_DEDUP_WINDOW,
                 dedup_ids: int = DEFAULT_DEDUP_IDS) -> None:
        self.symbol = symbol
        self.price_texts = PriceTexts(spec.tick)
        self.format_price = self.price_texts.__getitem__
        self.symbol_json = SymbolJson(symbol, self.price_texts)
        self.bids = BookSide(is_bid=True)
        self.asks = BookSide(is_bid=False)
        self.orders: dict[str, Order] = {}
        self.dedup = DedupWindow(dedup_window, dedup_ids)
        self.trade_seq = 0
        self.arrival_seq = 0
        self.book_seq = 0
        self.last_trade: tuple[int, int, int, Micros] | None = None  # a LastTrade's fields
        self._last_trade_json = (-1, "null")  # (trade_seq, last_trade's JSON) as last rendered
        self._now: Micros = 0
        # What the latest command did, read by ``apply`` (and ``delta()``) after it ran.
        self._events: list[Event] = []
        self._changed: list[Order] = []  # resting orders it rested, changed or removed
        self._forgotten: list[str] = _NO_IDS  # the ids that left the dedup window

    # -- commands ---------------------------------------------------------

    def apply(self, command: Command, now: Micros) -> ApplyResult:
        """Run one command against the book at time ``now``."""
        seen = None
        if isinstance(command, NewOrder):
            events = self.new(command.order_id, command.user_id, command.side, command.type,
                              command.tif, command.price, command.quantity, command.timestamp,
                              now)
            if type(events[0]) is not Rejection:
                seen = command.order_id
        elif isinstance(command, CancelOrder):
            events = self.cancel(command.order_id, command.user_id, command.timestamp, now)
        elif isinstance(command, AmendOrder):
            events = self.amend(command.order_id, command.user_id, command.quantity,
                                command.price, command.timestamp, now)
        else:
            raise TypeError(f"not a command: {command!r}")
        return ApplyResult(events, self._changed, seen, self._forgotten, self)

    def new(self, order_id: str, user_id: str, side: str, type: str, tif: str,
            price: int | None, quantity: int, timestamp: ClientTimestamp, now: Micros
            ) -> list[Event]:
        """``apply(NewOrder(...)).events`` without the command and the result."""
        events = self._start(now)
        dedup = self.dedup
        admitted = dedup.admit(order_id, now)
        if not admitted or order_id in self.orders:
            if admitted:  # resting, though the window had forgotten its id
                dedup.withdraw_newest()
            self._reject(order_id, user_id, side, timestamp, DUPLICATE_ORDER_ID,
                         f"order_id {order_id} is resting or was accepted recently",
                         price, quantity)
            return events
        if len(dedup.ids) > dedup.capacity:
            self._forgotten = [*self._forgotten, dedup.forget_oldest()]
        self.arrival_seq = arrival = self.arrival_seq + 1
        order = Order(order_id, user_id, side, price, quantity, quantity, arrival, timestamp,
                      tif, now)
        events.append((ACCEPTED, order, quantity, 0, quantity, None, ""))
        if tif == GTC and type != MARKET:  # the common case first
            self._execute(order, None, "")
        elif tif == FOK and not self._fillable(order):
            self._expire(order, FOK_UNFILLABLE, "not enough liquidity to fill the order at once")
        elif type == MARKET:
            self._execute(order, NO_LIQUIDITY, "no liquidity left for the market order")
        elif tif == IOC:
            self._execute(order, IOC_REMAINDER, "immediate-or-cancel remainder")
        else:
            self._execute(order, None, "")
        if self._changed:
            self.book_seq += 1
        return events

    def cancel(self, order_id: str, user_id: str, timestamp: ClientTimestamp, now: Micros
               ) -> list[Event]:
        """``apply(CancelOrder(...)).events`` without the command and the result."""
        events = self._start(now)
        order = self.orders.get(order_id)
        if order is None or order.user_id != user_id:
            self._refuse(order, order_id, user_id, timestamp, None, None)
            return events
        filled = order.quantity - order.remaining
        self._take_out(order)
        events.append((CANCELLED, order, order.quantity, filled, 0, None, ""))
        self.book_seq += 1
        return events

    def amend(self, order_id: str, user_id: str, quantity: int, price: int | None,
              timestamp: ClientTimestamp, now: Micros) -> list[Event]:
        """``apply(AmendOrder(...)).events`` without the command and the result."""
        events = self._start(now)
        order = self.orders.get(order_id)
        if order is None or order.user_id != user_id:
            self._refuse(order, order_id, user_id, timestamp, price, quantity)
            return events
        self._amend(order, quantity, order.price if price is None else price,
                    order.timestamp if timestamp is None else timestamp)
        if self._changed:
            self.book_seq += 1
        return events

    def _start(self, now: Micros) -> list[Event]:
        """Begin a command: fresh lists, the dedup window expired up to ``now``."""
        self._now = now
        self._changed = []
        dedup = self.dedup
        self._forgotten = dedup.expire(now) if now >= dedup.next_expiry else _NO_IDS
        events: list[Event] = []
        self._events = events
        return events

    def _amend(self, order: Order, quantity: int, price: int | None,
               timestamp: ClientTimestamp) -> None:
        assert order.price is not None  # it rests
        filled = order.quantity - order.remaining
        if price == order.price and quantity <= order.remaining:
            detail = "unchanged" if quantity == order.remaining else "quantity reduced"
            if quantity < order.remaining:
                self._reduce(order, quantity, timestamp)
            self._events.append((AMENDED, order, order.quantity, filled, quantity, None, detail,
                                 (order.price, order.arrival)))
            return
        self._take_out(order)
        self.arrival_seq += 1
        moved = Order(order.order_id, order.user_id, order.side, price, filled + quantity,
                      quantity, self.arrival_seq, timestamp, accepted_at=order.accepted_at)
        self._events.append((AMENDED, moved, moved.quantity, filled, quantity, None,
                             "re-entered with new time priority", (order.price, order.arrival)))
        self._execute(moved, None, "")

    # -- stateful checks --------------------------------------------------

    def _refuse(self, order: Order | None, order_id: str, user_id: str,
                timestamp: ClientTimestamp, price: int | None, quantity: int | None) -> None:
        """Reject a cancel or amend naming no resting ``order``, or another user's."""
        if order is None:
            self._reject(order_id, user_id, None, timestamp, UNKNOWN_ORDER,
                         f"no resting order {order_id} in {self.symbol}", price, quantity)
        else:
            self._reject(order_id, user_id, None, timestamp, NOT_OWNER,
                         f"order {order_id} belongs to another user", price, quantity)

    def _reject(self, order_id: str, user_id: str, side: str | None,
                timestamp: ClientTimestamp, reason: str, detail: str, price: int | None,
                quantity: int | None) -> None:
        self._events.append(Rejection(
            reason, detail, order_id, user_id, self.symbol, side,
            None if price is None else self.format_price(price), quantity, timestamp,
            self._now))

    # -- matching ---------------------------------------------------------

    def _execute(self, order: Order, expiry: str | None, detail: str) -> None:
        """Sweep the opposite side, then rest the remainder or expire it.

        ``expiry`` is the reason a remainder expires (None: it rests). The sweep
        is skipped outright when the best opposite price does not cross, and a
        resting remainder is queued inline: most limit orders just rest.
        """
        price = order.price
        if order.side == BUY:
            best, own = self.asks.best, self.bids
            crosses = best is not None and (price is None or best.price <= price)
        else:
            best, own = self.bids.best, self.asks
            crosses = best is not None and (price is None or best.price >= price)
        if crosses and self._sweep(order):
            self._expire(order, SELF_TRADE, "the next match was with the user's own order")
        elif not order.remaining:
            return
        elif expiry is None:  # rest: Level.append, inlined
            assert price is not None  # only market orders have none, and they never rest
            level = own.levels.get(price) or own.add_level(price)
            order.price = level.price  # one int object per level, not per order: 32 B saved
            level.orders.append(order)
            level.total += order.remaining
            self.orders[order.order_id] = order
            self._changed.append(order)
        else:
            self._expire(order, expiry, detail)

    def _sweep(self, order: Order) -> bool:
        """Trade ``order`` against the best opposite orders; True if stopped by self-trade.

        The hot loop of the engine: locals instead of attributes, plain tuples.
        """
        aggressor_side = order.side
        is_buy = aggressor_side == BUY
        side = self.asks if is_buy else self.bids
        sign = side.sign
        bound = None if order.price is None else sign * order.price
        user = order.user_id
        events, changed, orders = self._events, self._changed, self.orders
        remaining = order.remaining
        original = order.quantity
        seq = self.trade_seq
        try:
            while remaining:
                level = side.best
                if level is None or (bound is not None and sign * level.price > bound):
                    return False
                head = level.orders[0]
                if not head.remaining:
                    head = level.front()
                if head.user_id == user:
                    return True
                quantity = head.remaining if head.remaining < remaining else remaining
                seq += 1
                price = level.price
                remaining -= quantity
                head.remaining -= quantity
                level.total -= quantity
                if is_buy:
                    events.append((TRADE, seq, price, quantity, order, head, aggressor_side))
                else:
                    events.append((TRADE, seq, price, quantity, head, order, aggressor_side))
                if head.remaining:
                    changed.append(head)
                    events.append((PARTIALLY_FILLED, head, head.quantity,
                                   head.quantity - head.remaining, head.remaining, None, ""))
                else:
                    level.orders.popleft()
                    del orders[head.order_id]
                    changed.append(head)
                    if not level.total:
                        side.remove(level)
                    events.append((FILLED, head, head.quantity, head.quantity, 0, None, ""))
                events.append((PARTIALLY_FILLED if remaining else FILLED, order, original,
                               original - remaining, remaining, None, ""))
            return False
        finally:
            order.remaining = remaining
            if seq != self.trade_seq:
                self.trade_seq = seq
                self.last_trade = (seq, price, quantity, self._now)

    def _fillable(self, order: Order) -> bool:
        """Would a sweep fill ``order`` completely before meeting the user's own order?"""
        side = self.asks if order.side == BUY else self.bids
        bound = None if order.price is None else side.sign * order.price
        needed = order.remaining
        for level in side:
            if bound is not None and side.sign * level.price > bound:
                return False
            for resting in level:
                if resting.user_id == order.user_id:
                    return False
                needed -= resting.remaining
                if needed <= 0:
                    return True
        return False

    def _expire(self, order: Order, reason: str, detail: str) -> None:
        self._events.append((EXPIRED, order, order.quantity, order.quantity - order.remaining, 0,
                             reason, detail))

    # -- book maintenance -------------------------------------------------

    def _side_of(self, order: Order) -> BookSide:
        return self.bids if order.side == BUY else self.asks

    def _take_out(self, order: Order) -> None:
        side = self.bids if order.side == BUY else self.asks
        level = side.levels[order.price]  # type: ignore[index]  # a resting order has a price
        level.discard(order)
        del self.orders[order.order_id]
        self._changed.append(order)
        if not level.total:
            side.remove(level)

    def _reduce(self, order: Order, quantity: int, timestamp) -> None:
        """Lower an order's open quantity in place, keeping its time priority."""
        self._side_of(order).levels[order.price].total -= (  # type: ignore[index]
            order.remaining - quantity)
        order.quantity -= order.remaining - quantity
        order.remaining = quantity
        order.timestamp = timestamp
        self._changed.append(order)

    # -- market data and state --------------------------------------------

    def snapshot_json(self, now: Micros) -> bytes:
        """The ``market-data`` message: best prices, top levels and the last trade, as JSON."""
        return self.market_data_json(iso_json(now))

    def market_data_json(self, ts: str) -> bytes:
        """``snapshot_json`` with its time already a JSON text (the command's outputs share it)."""
        bids, best_bid = self._depth_json(self.bids)
        asks, best_ask = self._depth_json(self.asks)
        seq, last = self._last_trade_json
        if seq != self.trade_seq:  # the last trade changes with trade_seq only
            last = last_trade_json(self.last_trade, self.symbol_json)
            self._last_trade_json = (self.trade_seq, last)
        return (f'{{"symbol":{self.symbol_json.name},"seq":{self.book_seq},"trade_seq":'
                f'{self.trade_seq},"best_bid":{best_bid},"best_ask":{best_ask},"bids":{bids},'
                f'"asks":{asks},"last_trade":{last},"ts":{ts}}}').encode()

    def snapshot(self, now: Micros) -> dict[str, Any]:
        """``snapshot_json`` as a dict."""
        result: dict[str, Any] = decode_json(self.snapshot_json(now))
        return result

    def _depth_json(self, side: BookSide) -> tuple[str, str]:
        """A side's top ``DEPTH`` levels and its best one as JSON, rendered only when changed.

        The text is kept with the ``book_seq`` it shows. One command later it still holds
        unless that command changed a level among the top ones (``_changed_top``), which
        most commands, touching one side near the best, do on that side only.
        """
        seq = self.book_seq
        if side.depth_seq != seq:
            if side.depth_seq != seq - 1 or self._changed_top(side):
                side.depth_json = depth_json(side.top(DEPTH), self.symbol_json)
            side.depth_seq = seq
        return side.depth_json

    def _changed_top(self, side: BookSide) -> bool:
        """Did the latest command change one of ``side``'s ``DEPTH`` best levels?

        Every level a command changes (its total, or the level added or removed) is at
        the price of an order in ``_changed`` on that side. When each such price is
        below the ``DEPTH``-th best level now, the top levels are the ones there were,
        untouched.
        """
        ranked, sign = side.ranked, side.sign
        edge = sign * ranked[-DEPTH].price if len(ranked) >= DEPTH else None
        buy = side is self.bids
        for order in self._changed:
            if (order.side == BUY) is buy and (
                    edge is None or sign * order.price <= edge):  # type: ignore[operator]
                return True
        return False

    def meta(self) -> Row:
        """The per-symbol metadata row."""
        return meta_row(self.trade_seq, self.arrival_seq, self.book_seq, self._last_trade())

    def _last_trade(self) -> LastTrade | None:
        return None if self.last_trade is None else LastTrade._make(self.last_trade)

    def to_rows(self) -> BookRows:
        """The whole book as independent rows (resting orders in book order)."""
        orders = [order_row(order, self.format_price)
                  for side in (self.bids, self.asks) for level in side for order in level]
        return BookRows(orders, dict(self.dedup.items()), self.meta())

    @classmethod
    def from_rows(cls, symbol: str, orders: Iterable[Row], seen: dict[str, Micros], meta: Row,
                  *, spec: SymbolSpec = DEFAULT_SPEC,
                  dedup_window: Micros = DEFAULT_DEDUP_WINDOW,
                  dedup_ids: int = DEFAULT_DEDUP_IDS) -> "OrderBook":
        """Rebuild the book that ``to_rows`` (or the deltas) described."""
        book = cls(symbol, spec, dedup_window, dedup_ids)
        book.dedup = DedupWindow.from_items(dedup_window, dedup_ids, seen)
        book.trade_seq = meta["trade_seq"]
        book.arrival_seq = meta["arrival_seq"]
        book.book_seq = meta["book_seq"]
        book.last_trade = last_trade_from_meta(meta)
        for order in sorted((order_from_row(row, spec.tick) for row in orders),
                            key=lambda order: order.arrival):
            side, price = book._side_of(order), order.price
            assert price is not None  # only resting orders have rows
            (side.levels.get(price) or side.add_level(price)).append(order)
            book.orders[order.order_id] = order
        return book

    def state_hash(self) -> str:
        """A digest of the book's structure, resting orders, dedup window and metadata."""
        rows = self.to_rows()
        state = {
            "symbol": self.symbol,
            "levels": [[level.price, level.total, sum(1 for _ in level)]
                       for side in (self.bids, self.asks) for level in side],
            "orders": rows.orders,
            "seen": sorted(rows.seen.items()),
            "meta": rows.meta,
        }
        text = json.dumps(state, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()

"""Resting orders and the price levels that queue them.

An ``Order``'s identity, side and price never change (a price amend makes a
new object); its quantities do, so events copy them. A level is a FIFO deque;
removing an order from the middle (cancel, amend) only zeroes its
``remaining`` and the dead entry is dropped when it reaches the front or when
dead entries outnumber live ones, so removal by id is O(1) amortised.
"""

from collections import deque
from collections.abc import Iterator
from operator import attrgetter
from typing import Final

from engine.clock import Micros
from engine.commands import GTC, ClientTimestamp

_COMPACT_AT: Final = 32
_REMAINING: Final = attrgetter("remaining")  # true for a live order


class Order:
    """An order as the book keeps it; ``arrival`` is its per-symbol time priority.

    ``tif`` and ``accepted_at`` (engine time of acceptance, None if unknown) are only
    echoed in its events, so the Cassandra records need no other source. They share the
    slot ``accepted``: every order that rests is GTC, so a resting order keeps only its
    time there (a slot less per resting order); an IOC or FOK order, which never rests,
    keeps ``(tif, accepted_at)``. One class for all keeps the hot path's attribute reads
    monomorphic (a subclass for IOC orders slowed every order's sweep).
    """

    __slots__ = ("accepted", "arrival", "order_id", "price", "quantity", "remaining", "side",
                 "timestamp", "user_id")

    def __init__(self, order_id: str, user_id: str, side: str, price: int | None,
                 quantity: int, remaining: int, arrival: int,
                 timestamp: ClientTimestamp = None, tif: str = GTC,
                 accepted_at: Micros | None = None) -> None:
        self.order_id = order_id
        self.user_id = user_id
        self.side = side
        self.price = price
        self.quantity = quantity
        self.remaining = remaining
        self.arrival = arrival
        self.timestamp = timestamp
        self.accepted: Micros | tuple[str, Micros | None] | None = (
            accepted_at if tif == GTC else (tif, accepted_at))

    @property
    def tif(self) -> str:
        """GTC, IOC or FOK."""
        accepted = self.accepted
        return accepted[0] if isinstance(accepted, tuple) else GTC

    @property
    def accepted_at(self) -> Micros | None:
        """Engine time of acceptance (None if unknown)."""
        accepted = self.accepted
        return accepted[1] if isinstance(accepted, tuple) else accepted


class Level:
    """All resting orders at one price, oldest first, with their total quantity.

    A level is live while ``total`` is positive (every queued live order has a
    positive ``remaining``), so no separate count is kept; ``dead`` counts the
    zeroed entries still queued. ``json`` is its ``[price, total]`` pair in market
    data as of the total ``json_total`` (``engine.render.depth_json`` keeps it).
    """

    __slots__ = ("dead", "json", "json_total", "orders", "price", "total")

    def __init__(self, price: int) -> None:
        self.price = price
        self.orders: deque[Order] = deque()
        self.total = 0
        self.dead = 0
        self.json = ""
        self.json_total = 0  # no live level's total: rendered on first use

    def append(self, order: Order) -> None:
        """Queue ``order`` behind every order already at this price."""
        self.orders.append(order)
        self.total += order.remaining

    def front(self) -> Order:
        """The oldest live order (the level must not be empty)."""
        orders = self.orders
        head = orders[0]
        while not head.remaining:
            orders.popleft()
            self.dead -= 1
            head = orders[0]
        return head

    def discard(self, order: Order) -> None:
        """Take ``order`` out of the queue wherever it stands.

        The newest order (most cancels: on the harness's ``static`` workload 99%) and
        the oldest leave the deque at once, so the order is freed now: a dead entry
        kept for later outlives CPython's young GC generations, and a stream of them
        makes full collections frequent (``static`` spent half its time in them). One
        from the middle is zeroed and dropped later, when it reaches the front or in a
        compaction once dead entries outnumber live ones.
        """
        self.total -= order.remaining
        order.remaining = 0
        orders = self.orders
        if orders[-1] is order:
            orders.pop()
            while orders and not orders[-1].remaining:  # keep the newest entry live
                orders.pop()
                self.dead -= 1
        elif orders[0] is order:
            orders.popleft()
        else:
            dead = self.dead = self.dead + 1
            if dead > _COMPACT_AT and dead + dead > len(orders):
                self.orders = deque(filter(_REMAINING, orders))
                self.dead = 0

    def __iter__(self) -> Iterator[Order]:
        """Live orders, oldest first."""
        return filter(_REMAINING, self.orders)

"""A deliberately naive reference book: one flat list, sorted on every use.

Obviously correct rather than fast, it implements the contract's matching
rules independently of ``engine.book`` so the two can be compared on long
random streams. It speaks in normalised tuples:
``("trade", seq, price, quantity, buy_id, sell_id, aggressor_side)``,
``(event, order_id, quantity, filled, remaining, reason)`` and
``("rejected", order_id, reason)``.
"""

from dataclasses import dataclass

from engine import AmendOrder, CancelOrder, Command, NewOrder


@dataclass
class NaiveOrder:
    order_id: str
    user_id: str
    side: str
    price: int | None
    quantity: int
    filled: int
    arrival: int

    @property
    def remaining(self) -> int:
        return self.quantity - self.filled


class NaiveBook:
    """A list of resting orders, the accepted ids with their times, and counters."""

    def __init__(self, dedup_window: int) -> None:
        self.dedup_window = dedup_window
        self.resting: list[NaiveOrder] = []
        self.accepted: dict[str, int] = {}
        self.trade_seq = 0
        self.arrivals = 0

    def apply(self, command: Command, now: int) -> list[tuple]:
        out: list[tuple] = []
        if isinstance(command, NewOrder):
            self._new(command, now, out)
        elif isinstance(command, CancelOrder):
            self._cancel(command, out)
        elif isinstance(command, AmendOrder):
            self._amend(command, out)
        return out

    # -- queries ----------------------------------------------------------

    def find(self, order_id: str) -> NaiveOrder | None:
        matches = [o for o in self.resting if o.order_id == order_id]
        return matches[0] if matches else None

    def queue(self, side: str) -> list[NaiveOrder]:
        """Resting orders of ``side`` in priority order (best price, then oldest)."""
        orders = [o for o in self.resting if o.side == side]
        if side == "buy":
            return sorted(orders, key=lambda o: (-o.price, o.arrival))
        return sorted(orders, key=lambda o: (o.price, o.arrival))

    def levels(self, side: str) -> list[tuple[int, int]]:
        """(price, total remaining) per price, best first."""
        totals: dict[int, int] = {}
        for order in self.queue(side):
            totals[order.price] = totals.get(order.price, 0) + order.remaining
        return list(totals.items())

    # -- commands ---------------------------------------------------------

    def _new(self, command: NewOrder, now: int, out: list[tuple]) -> None:
        recently = (command.order_id in self.accepted
                    and now - self.accepted[command.order_id] < self.dedup_window)
        if self.find(command.order_id) is not None or recently:
            out.append(("rejected", command.order_id, "duplicate_order_id"))
            return
        self.accepted[command.order_id] = now
        self.arrivals += 1
        price = None if command.type == "market" else command.price
        order = NaiveOrder(command.order_id, command.user_id, command.side, price,
                           command.quantity, 0, self.arrivals)
        out.append(("accepted", order.order_id, order.quantity, 0, order.quantity, None))
        if command.tif == "FOK" and self._fillable_quantity(order) < order.quantity:
            out.append(("expired", order.order_id, order.quantity, 0, 0, "fok_unfillable"))
            return
        if command.type == "market":
            expiry = "no_liquidity"
        elif command.tif == "IOC":
            expiry = "ioc_remainder"
        else:
            expiry = None
        self._enter(order, expiry, out)

    def _cancel(self, command: CancelOrder, out: list[tuple]) -> None:
        order = self._owned(command, out)
        if order is not None:
            self.resting.remove(order)
            out.append(("cancelled", order.order_id, order.quantity, order.filled, 0, None))

    def _amend(self, command: AmendOrder, out: list[tuple]) -> None:
        order = self._owned(command, out)
        if order is None:
            return
        price = order.price if command.price is None else command.price
        if price == order.price and command.quantity <= order.remaining:
            order.quantity = order.filled + command.quantity
            out.append(("amended", order.order_id, order.quantity, order.filled,
                        command.quantity, None))
            return
        self.resting.remove(order)
        self.arrivals += 1
        moved = NaiveOrder(order.order_id, order.user_id, order.side, price,
                           order.filled + command.quantity, order.filled, self.arrivals)
        out.append(("amended", moved.order_id, moved.quantity, moved.filled, moved.remaining,
                    None))
        self._enter(moved, None, out)

    def _owned(self, command: CancelOrder | AmendOrder, out: list[tuple]) -> NaiveOrder | None:
        order = self.find(command.order_id)
        if order is None:
            out.append(("rejected", command.order_id, "unknown_order"))
        elif order.user_id != command.user_id:
            out.append(("rejected", command.order_id, "not_owner"))
            return None
        return order

    # -- matching ---------------------------------------------------------

    def _crossing(self, order: NaiveOrder) -> list[NaiveOrder]:
        """Opposite orders the incoming order may trade with, in priority order."""
        opposite = "sell" if order.side == "buy" else "buy"
        if order.price is None:
            return self.queue(opposite)
        if order.side == "buy":
            return [o for o in self.queue(opposite) if o.price <= order.price]
        return [o for o in self.queue(opposite) if o.price >= order.price]

    def _fillable_quantity(self, order: NaiveOrder) -> int:
        total = 0
        for resting in self._crossing(order):
            if resting.user_id == order.user_id:
                break
            total += resting.remaining
        return total

    def _enter(self, order: NaiveOrder, expiry: str | None, out: list[tuple]) -> None:
        """Match an incoming order, then rest or expire what is left."""
        for resting in self._crossing(order):
            if order.remaining == 0:
                break
            if resting.user_id == order.user_id:
                out.append(("expired", order.order_id, order.quantity, order.filled, 0,
                            "self_trade"))
                return
            self._fill(order, resting, out)
        if order.remaining == 0:
            return
        if expiry is None:
            self.resting.append(order)
        else:
            out.append(("expired", order.order_id, order.quantity, order.filled, 0, expiry))

    def _fill(self, order: NaiveOrder, resting: NaiveOrder, out: list[tuple]) -> None:
        quantity = min(order.remaining, resting.remaining)
        self.trade_seq += 1
        buy, sell = (order, resting) if order.side == "buy" else (resting, order)
        out.append(("trade", self.trade_seq, resting.price, quantity, buy.order_id,
                    sell.order_id, order.side))
        for party in (resting, order):
            party.filled += quantity
            event = "filled" if party.remaining == 0 else "partially_filled"
            out.append((event, party.order_id, party.quantity, party.filled, party.remaining,
                        None))
        if resting.remaining == 0:
            self.resting.remove(resting)

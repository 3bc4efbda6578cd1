"""Driver of ``pyengine_adapter``: the harness's messages through one ``OrderBook``.

Commands go in through the book's embedder entry points (``new``, ``cancel``,
``amend``: fields, no Command object). The harness has no users, so each order is
its own user (no self-trade prevention applies); a modify is an amend (the
workload's modifies are reprices or quantity increases, which re-enter the book as
the harness's cancel + reinsert does). Report tuples are those of
``pyengine_adapter.cpp``; order ids are the harness's integers."""

from engine import OrderBook
from engine.events import ACCEPTED, CANCELLED, EXPIRED, TRADE
from engine.rejections import Rejection

SIDES = ("buy", "sell")
SIDE_CODES = {"buy": 0, "sell": 1}
TIFS = ("GTC", "IOC")
SYMBOL = "BENCH"
WINDOW = 2**62  # every id stays a duplicate for the whole run, as the contract's 24 h would


class Driver:
    """One book; each method runs one harness message and returns its reports."""

    def __init__(self) -> None:
        self.book = OrderBook(SYMBOL, dedup_window=WINDOW)

    def on_new(self, oid: int, seq: int, price: int, qty: int, side: int, ioc: int) -> list:
        order_id = str(oid)
        events = self.book.new(order_id, order_id, SIDES[side], "limit", TIFS[ioc], price, qty,
                               None, seq)
        if len(events) == 1:  # accepted and rested untouched (the harness repeats no id)
            return [(0, seq, side, oid, price, qty)]
        return self._reports(events, seq, side, oid, price)

    def on_cancel(self, oid: int, seq: int) -> list:
        order_id = str(oid)
        events = self.book.cancel(order_id, order_id, None, seq)
        event = events[0]
        if type(event) is Rejection:
            return [(4, seq, oid)]
        order = event[1]
        return [(2, seq, SIDE_CODES[order.side], oid, order.price)]

    def on_modify(self, oid: int, seq: int, price: int, qty: int, side: int) -> list:
        order_id = str(oid)
        events = self.book.amend(order_id, order_id, qty, price, None, seq)
        if type(events[0]) is Rejection:
            return [(5, seq, oid)]
        reports = self._reports(events[1:], seq, side, oid, price)
        reports.append((3, seq, side, oid, price, qty))
        return reports

    @staticmethod
    def _reports(events: list, seq: int, side: int, oid: int, limit: int) -> list:
        """Reports of a new or moved order ``oid`` at ``limit``: its only non-trade events."""
        reports = []
        for event in events:
            name = event[0]
            if name == TRADE:
                _, _, price, quantity, buy, sell, aggressor = event
                maker, taker = (sell, buy) if aggressor == "buy" else (buy, sell)
                reports.append((1, seq, price, quantity, int(maker.order_id),
                                int(taker.order_id)))
            elif name == ACCEPTED:
                reports.append((0, seq, side, oid, limit, event[1].quantity))
            elif name in (EXPIRED, CANCELLED):
                reports.append((2, seq, side, oid, limit))
        return reports

    def best_bid(self) -> int | None:
        best = self.book.bids.best
        return None if best is None else best.price

    def best_ask(self) -> int | None:
        best = self.book.asks.best
        return None if best is None else best.price

    def depth_at(self, price: int, side: int) -> int:
        level = (self.book.bids if side == 0 else self.book.asks).levels.get(price)
        return 0 if level is None else level.total

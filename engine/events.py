"""Compact event records made by the book on its hot path.

They hold references and integers only; ``engine.render`` turns them into the
contract's JSON-able dicts at the edge. An ``OrderEvent`` copies the numbers
that change over an order's life (original, filled and open quantity), so it
stays true after later commands.
"""

from typing import NamedTuple

from engine.orders import Order

ACCEPTED = "accepted"
REJECTED = "rejected"
PARTIALLY_FILLED = "partially_filled"
FILLED = "filled"
CANCELLED = "cancelled"
EXPIRED = "expired"
AMENDED = "amended"

IOC_REMAINDER = "ioc_remainder"
NO_LIQUIDITY = "no_liquidity"
FOK_UNFILLABLE = "fok_unfillable"
SELF_TRADE = "self_trade"


class Trade(NamedTuple):
    """One fill between an aggressor and a resting order, at the resting price."""

    seq: int
    price: int
    quantity: int
    buy: Order
    sell: Order
    aggressor_side: str


class OrderEvent(NamedTuple):
    """A life-cycle step of an order, with its quantities at that moment."""

    event: str
    order: Order
    quantity: int
    filled: int
    remaining: int
    reason: str | None = None
    detail: str = ""

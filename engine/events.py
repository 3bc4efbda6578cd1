"""Compact event records made by the book on its hot path.

They are plain tuples (the cheapest object CPython builds) holding references
and integers only; ``engine.render`` turns them into the contract's JSON-able
dicts at the edge. Layouts, told apart by their first item:

- trade: ``("trade", seq, price_ticks, quantity, buy_order, sell_order,
  aggressor_side)``;
- order event: ``(event, order, quantity, filled, remaining, reason, detail)``
  where ``event`` is one of the names below. The quantities are copied, so the
  record stays true after later commands change the order. An ``amended``
  record has one more item, ``(price_ticks, arrival)`` of the order before the
  amend: the book key it left when it lost priority.

Rejections are ``engine.rejections.Rejection`` objects. The types below are
loose (``tuple[Any, ...]``): which layout a record has is told by its first
item at run time, which static typing (and so mypyc) cannot follow.
"""

from typing import Any, Final

TRADE: Final = "trade"
ACCEPTED: Final = "accepted"
REJECTED: Final = "rejected"
PARTIALLY_FILLED: Final = "partially_filled"
FILLED: Final = "filled"
CANCELLED: Final = "cancelled"
EXPIRED: Final = "expired"
AMENDED: Final = "amended"

IOC_REMAINDER: Final = "ioc_remainder"
NO_LIQUIDITY: Final = "no_liquidity"
FOK_UNFILLABLE: Final = "fok_unfillable"
SELF_TRADE: Final = "self_trade"

Trade = tuple[Any, ...]
OrderEvent = tuple[Any, ...]

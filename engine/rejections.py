"""Rejections: the reason codes, the ``Refused`` check failure and what a refused message held."""

from dataclasses import dataclass
from typing import Final

from engine.clock import Micros
from engine.commands import ClientTimestamp

INVALID_JSON: Final = "invalid_json"
INVALID_FIELD: Final = "invalid_field"
UNKNOWN_ACTION: Final = "unknown_action"
BAD_SYMBOL: Final = "bad_symbol"
BAD_SIDE: Final = "bad_side"
BAD_TYPE: Final = "bad_type"
BAD_PRICE: Final = "bad_price"
OFF_TICK: Final = "off_tick"
BAD_QUANTITY: Final = "bad_quantity"
OFF_LOT: Final = "off_lot"
BAD_TIF: Final = "bad_tif"
DUPLICATE_ORDER_ID: Final = "duplicate_order_id"
UNKNOWN_ORDER: Final = "unknown_order"
NOT_OWNER: Final = "not_owner"


class Refused(ValueError):
    """A failed validation check, carrying the contract's reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(slots=True, init=False)
class Rejection:
    """A message refused before it changed anything.

    The fields hold what could be read of the message (None where nothing
    usable was there), so the ``rejected`` event says as much as possible;
    ``ts`` is the engine time of the rejection. Never changed once made, but
    not frozen, as commands are not (``engine.commands``): it is per message, and has an
    ``__init__`` of its own for the same reason as they do (compiled, unlike the
    decorator's).
    """

    reason: str
    detail: str
    order_id: str | None = None
    user_id: str | None = None
    symbol: str | None = None
    side: str | None = None
    price: str | None = None
    quantity: int | None = None
    timestamp: ClientTimestamp = None
    ts: Micros = 0

    def __init__(self, reason: str, detail: str, order_id: str | None = None,
                 user_id: str | None = None, symbol: str | None = None,
                 side: str | None = None, price: str | None = None,
                 quantity: int | None = None, timestamp: ClientTimestamp = None,
                 ts: Micros = 0) -> None:
        self.reason, self.detail, self.order_id, self.user_id = reason, detail, order_id, user_id
        self.symbol, self.side, self.price, self.quantity = symbol, side, price, quantity
        self.timestamp, self.ts = timestamp, ts

"""Validated order commands: what the stateless ingress hands to a symbol's book.

Prices are integer ticks of the symbol's tick size (checked at ingress).
Commands are never changed once parsed, but are not frozen dataclasses: those
set each field through ``object.__setattr__`` and build four times slower,
and a command is built for every message. For the same reason each kind has an
``__init__`` of its own: the compiled build compiles it, while the one the
dataclass decorator writes stays interpreted (some 3,000 instructions a command).
``to_dict``/``from_dict`` give a JSON-able form so a command can cross the
re-keying Kafka topic between the ingress and matcher agents.
"""

from dataclasses import dataclass, fields
from typing import Any, Final

BUY: Final = "buy"
SELL: Final = "sell"
LIMIT: Final = "limit"
MARKET: Final = "market"
GTC: Final = "GTC"
IOC: Final = "IOC"
FOK: Final = "FOK"

ClientTimestamp = str | int | None


@dataclass(slots=True, init=False)
class Command:
    """Base of every command: which order of which user in which symbol."""

    order_id: str
    user_id: str
    symbol: str

    def __init__(self, order_id: str, user_id: str, symbol: str) -> None:
        self.order_id = order_id
        self.user_id = user_id
        self.symbol = symbol

    @property
    def action(self) -> str:
        """The command's name on the wire: ``new``, ``cancel`` or ``amend``.

        A property of each kind, not a class variable: mypyc's dataclass transform
        took a class variable's value for a field's default.
        """
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict, tagged with the action, that ``from_dict`` reads back.

        The ingress calls this per message: the fields are read by name, not through
        ``dataclasses.asdict`` (a recursive deep copy, ten times slower).
        """
        return {"action": self.action,
                **{name: getattr(self, name) for name in _FIELD_NAMES[type(self)]}}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> "Command":
        """Rebuild the command written by ``to_dict``."""
        fields = dict(data)
        kind = _BY_ACTION[fields.pop("action")]
        return kind(**fields)


@dataclass(slots=True, init=False)
class NewOrder(Command):
    """Enter an order. ``price`` is None for market orders."""

    side: str
    type: str
    tif: str
    price: int | None
    quantity: int
    timestamp: ClientTimestamp = None

    def __init__(self, order_id: str, user_id: str, symbol: str, side: str, type: str,
                 tif: str, price: int | None, quantity: int,
                 timestamp: ClientTimestamp = None) -> None:
        Command.__init__(self, order_id, user_id, symbol)  # dataclass slots: no super()
        self.side, self.type, self.tif = side, type, tif
        self.price, self.quantity, self.timestamp = price, quantity, timestamp

    @property
    def action(self) -> str:
        return "new"


@dataclass(slots=True, init=False)
class CancelOrder(Command):
    """Take a resting order off the book."""

    timestamp: ClientTimestamp = None

    def __init__(self, order_id: str, user_id: str, symbol: str,
                 timestamp: ClientTimestamp = None) -> None:
        Command.__init__(self, order_id, user_id, symbol)  # dataclass slots: no super()
        self.timestamp = timestamp

    @property
    def action(self) -> str:
        return "cancel"


@dataclass(slots=True, init=False)
class AmendOrder(Command):
    """Change a resting order's open quantity and, optionally, its price."""

    quantity: int
    price: int | None = None
    timestamp: ClientTimestamp = None

    def __init__(self, order_id: str, user_id: str, symbol: str, quantity: int,
                 price: int | None = None, timestamp: ClientTimestamp = None) -> None:
        Command.__init__(self, order_id, user_id, symbol)  # dataclass slots: no super()
        self.quantity, self.price, self.timestamp = quantity, price, timestamp

    @property
    def action(self) -> str:
        return "amend"


_BY_ACTION: Final[dict[str, type[Command]]] = {
    "new": NewOrder, "cancel": CancelOrder, "amend": AmendOrder}
_FIELD_NAMES: Final = {kind: tuple(field.name for field in fields(kind))
                       for kind in _BY_ACTION.values()}

"""Per-field errors for the order form, from the very validator the ingress runs.

`engine.parse_command` stops at the first failing check. To show every bad field at once,
the failing field is swapped for a stand-in the engine accepts and the message is parsed
again, until it passes: each error shown is the engine's own reason and detail, so the page
can never accept what the engine would refuse, nor refuse what it would accept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from engine import Command, EngineConfig, Rejection, parse_command
from engine import rejections as r

#: The field each reason code is about (`invalid_field` names its field in the detail).
FIELD_OF_REASON = {
    r.UNKNOWN_ACTION: "action", r.BAD_SYMBOL: "symbol", r.BAD_SIDE: "side",
    r.BAD_TYPE: "type", r.BAD_TIF: "tif", r.BAD_PRICE: "price", r.OFF_TICK: "price",
    r.BAD_QUANTITY: "quantity", r.OFF_LOT: "quantity",
}
#: The error key of a body that is not a JSON object at all.
MESSAGE = "message"
#: What the parser calls an order sent without an id (no client id can hold a NUL).
_NO_ID_TOPIC = "\0"
_NO_ID = f"{_NO_ID_TOPIC}-0-0"


@dataclass(frozen=True, slots=True)
class Checked:
    """A message's verdict: the command when valid, else field -> the engine's detail."""

    command: Command | None
    errors: dict[str, str]

    @property
    def has_id(self) -> bool:
        """False when the engine will name the order after its place on `orders`."""
        return self.command is not None and self.command.order_id != _NO_ID


def check_order(raw: bytes, config: EngineConfig) -> Checked:
    """Validate `raw` as the ingress would; collect an error for every bad field."""
    errors: dict[str, str] = {}
    message: dict[str, Any] | None = None
    body: bytes | str = raw
    while True:
        parsed = parse_command(body, topic=_NO_ID_TOPIC, partition=0, offset=0, now=0,
                               config=config)
        if not isinstance(parsed, Rejection):
            return Checked(None if errors else parsed, errors)
        field = _field_of(parsed)
        if field is None or field in errors:  # not about one field: nothing more to learn
            errors.setdefault(field or MESSAGE, parsed.detail)
            return Checked(None, errors)
        errors[field] = parsed.detail
        if message is None:
            message = json.loads(raw)  # it is a JSON object: only then are fields checked
        message[field] = _stand_in(field, message, config)
        body = json.dumps(message)


def _field_of(rejection: Rejection) -> str | None:
    if rejection.reason == r.INVALID_FIELD:
        return rejection.detail.split(" ", 1)[0]
    return FIELD_OF_REASON.get(rejection.reason)


def _stand_in(field: str, message: dict[str, Any], config: EngineConfig) -> Any:
    """A value the engine accepts for `field`, on the grid of the message's symbol."""
    symbol = message.get("symbol")
    spec = config.spec_for(symbol.upper() if isinstance(symbol, str) else "")
    return {
        "action": "new", "order_id": "x", "user_id": "x", "symbol": "X", "side": "buy",
        "type": "limit", "tif": "GTC", "price": str(spec.tick), "quantity": spec.lot,
    }[field]

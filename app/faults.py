"""A fault injector for the tests of the rollback path; inert unless configured.

`MATCHER_FAULT_ORDER_ID=X` makes the matcher raise once, after the first output of the
command naming order id X was sent: half of its outputs are in the transaction and its
rows are staged, the worst moment for an agent error.
"""

from __future__ import annotations

import os

from engine import Command

_order_id = os.environ.get("MATCHER_FAULT_ORDER_ID")


class InjectedFault(RuntimeError):
    """Raised by the fault injector; nothing else raises it."""


def after_output(command: Command) -> None:
    global _order_id
    if _order_id is not None and command.order_id == _order_id:
        _order_id = None
        raise InjectedFault(f"injected fault on order {command.order_id}")

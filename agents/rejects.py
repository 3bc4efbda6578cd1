"""Rejections forwarded from ingress to the matcher on the commands topic."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from engine import Rejection

REJECT = "reject"


def rejection_command(rejection: Rejection) -> dict[str, Any]:
    """The commands-topic value that carries a rejection to its symbol's matcher."""
    return {"action": REJECT, **asdict(rejection)}


def forwarded_rejection(value: Any) -> Rejection | None:
    """The rejection a commands-topic value carries, if it carries one."""
    if not isinstance(value, dict) or value.get("action") != REJECT:
        return None
    fields = dict(value)
    del fields["action"]
    return Rejection(**fields)

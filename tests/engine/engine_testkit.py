"""Helpers shared by the engine tests: build messages, run them, pick outputs."""

import json
import os
from typing import Any

from hypothesis import HealthCheck, settings

from engine import Engine, EngineConfig, Output, parse_iso

NOW = parse_iso("2026-11-25T15:00:00Z")


class Session:
    """An engine fed one message at a time with consecutive offsets and times."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.engine = Engine(config)
        self.offset = 0
        self.now = NOW

    def send(self, message: Any = None, *, raw: str | bytes | None = None,
             now: int | None = None, **fields: Any) -> list[Output]:
        """Process ``message`` (a dict, or ``fields``) or ``raw`` bytes; return the outputs."""
        if raw is None:
            raw = json.dumps(fields if message is None else message)
        self.now = self.now + 1 if now is None else now
        outputs = self.engine.process(raw, offset=self.offset, now=self.now)
        self.offset += 1
        return outputs

    def order(self, order_id: str, user_id: str, side: str, price: Any, quantity: int, *,
              now: int | None = None, **extra: Any) -> list[Output]:
        """Send a new order (limit GTC in AAPL unless ``extra`` says otherwise)."""
        message = {"order_id": order_id, "user_id": user_id, "symbol": "AAPL", "side": side,
                   "price": price, "quantity": quantity, **extra}
        return self.send(message, now=now)

    def book(self, symbol: str = "AAPL"):
        return self.engine.book(symbol)


def values(outputs: list[Output], topic: str) -> list[dict]:
    """The values published to ``topic``."""
    return [output.value for output in outputs if output.topic == topic]


def events(outputs: list[Output]) -> list[tuple]:
    """Order events as (event, order_id, filled, remaining, reason) tuples."""
    return [(v["event"], v["order_id"], v["filled_quantity"], v["remaining_quantity"],
             v["reason"]) for v in values(outputs, "order-events")]


def trades(outputs: list[Output]) -> list[tuple]:
    """Trades as (price, quantity, buy_order_id, sell_order_id) tuples."""
    return [(v["price"], v["quantity"], v["buy_order_id"], v["sell_order_id"])
            for v in values(outputs, "trades")]


def reason(outputs: list[Output]) -> str | None:
    """The reason of the single rejected event among ``outputs``."""
    (rejected,) = [v for v in values(outputs, "order-events") if v["event"] == "rejected"]
    return rejected["reason"]


def depth(session: Session, symbol: str = "AAPL") -> tuple[list, list]:
    """(bids, asks) of a symbol's current top-10 snapshot."""
    snapshot = session.book(symbol).snapshot(session.now)
    return snapshot["bids"], snapshot["asks"]


def property_settings(examples: int = 60) -> settings:
    """Hypothesis settings for this suite, scaled by ENGINE_HYPOTHESIS_SCALE (default 1).

    Applied per test, not as a global profile, so other suites keep theirs.
    """
    scale = float(os.environ.get("ENGINE_HYPOTHESIS_SCALE", "1"))
    return settings(max_examples=max(1, int(examples * scale)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

"""The chaos run's input: every message kind, as the bytes a client would produce."""

from __future__ import annotations

import json
import random

from tests.engine.order_streams import MixedStream

SYMBOLS = ("AAPL", "MSFT", "GOOG", "TSLA", "IBM", "BRK.B")
#: The key of messages that name no symbol: they have no order to keep.
NO_SYMBOL = b"-"


def chaos_stream(count: int, seed: int) -> list[bytes]:
    """The mixed stream of the differential tests, with the wire's odd shapes mixed in."""
    rng = random.Random(seed)
    stream = MixedStream(seed, symbols=SYMBOLS)
    messages = []
    for message in stream.messages(count):
        roll = rng.random()
        if roll < 0.01:
            messages.append(rng.choice((b"\xff not json", b"[1, 2]", b"", b'{"action": "new"')))
        elif roll < 0.03:
            messages.append(json.dumps(legacy_shape(message)).encode())
        elif roll < 0.04:
            messages.append(json.dumps({**message, "type": None, "symbol": message.get(
                "symbol", "AAPL").lower()}).encode())
        else:
            messages.append(json.dumps(message).encode())
    return messages


def legacy_shape(message: dict) -> dict:
    """The original application's shape of a new order (other commands stay as they are)."""
    if message.get("action", "new") != "new" or "price" not in message:
        return message
    return {"order_id": message["order_id"], "user_id": message["user_id"],
            "stock_id": message["symbol"], "order_type": message["side"],
            "price": message["price"], "quantity": message["quantity"],
            "market_order": message.get("type") == "market"}


def produce_key(raw: bytes) -> bytes:
    """The symbol as the engine reads it (upper-cased), so its messages share a partition."""
    try:
        value = json.loads(raw)
    except ValueError:
        return NO_SYMBOL
    symbol = value.get("symbol", value.get("stock_id")) if isinstance(value, dict) else None
    return symbol.upper().encode() if isinstance(symbol, str) else NO_SYMBOL

"""Seeded random ``orders`` messages, for differential tests and benchmarks.

Messages are wire-format dicts (what a client produces to ``orders``), so the
same streams drive the core (after ``parse_command``) and ``order-replay``.
"""

import random
from collections.abc import Iterator
from typing import Any

Message = dict[str, Any]


def moving_mid_limit_orders(count: int, seed: int = 1, symbol: str = "AAPL") -> Iterator[Message]:
    """New GTC limit orders around a random-walking mid; about half of them trade.

    Half are priced through the mid (aggressive), half a few ticks away on their
    own side (passive), so the book stays two-sided and roughly stable in size.
    """
    rng = random.Random(seed)
    mid = 10_000
    for n in range(count):
        if n % 64 == 0:
            mid = max(1_000, mid + rng.choice((-1, 0, 1)))
        side = rng.choice(("buy", "sell"))
        direction = 1 if side == "buy" else -1
        if rng.random() < 0.5:
            ticks = mid + direction * rng.randint(4, 9)
        else:
            ticks = mid - direction * rng.randint(1, 8)
        yield {"order_id": f"o{n}", "user_id": f"u{rng.randrange(1000)}", "symbol": symbol,
               "side": side, "price": f"{ticks // 100}.{ticks % 100:02d}",
               "quantity": rng.randint(1, 10) * 10}


class MixedStream:
    """Every command kind: limit GTC/IOC/FOK, market, cancels, amends, bad and duplicate.

    Few users and a narrow price band make self-trade stops, partial fills and
    priority questions frequent; some commands name unknown or foreign orders.
    """

    def __init__(self, seed: int, symbols: tuple[str, ...] = ("AAPL",), users: int = 6,
                 spread: int = 12) -> None:
        self.rng = random.Random(seed)
        self.symbols = symbols
        self.users = [f"u{i}" for i in range(users)]
        self.spread = spread
        self.mid = 10_000
        self.issued: list[tuple[str, str, str]] = []  # (symbol, order_id, user_id)

    def messages(self, count: int) -> Iterator[Message]:
        kinds = ("limit", "ioc", "fok", "market", "cancel", "amend", "bad", "duplicate")
        weights = (40, 8, 6, 6, 16, 16, 4, 4)
        for n in range(count):
            if n % 50 == 0:
                self.mid += self.rng.choice((-2, -1, 0, 1, 2))
            kind = self.rng.choices(kinds, weights)[0]
            yield getattr(self, f"_{kind}")(n)

    def _price(self) -> str:
        ticks = self.mid + self.rng.randint(-self.spread, self.spread)
        return f"{ticks // 100}.{ticks % 100:02d}"

    def _new(self, n: int, **extra: Any) -> Message:
        symbol = self.rng.choice(self.symbols)
        user = self.rng.choice(self.users)
        order_id = f"o{n}"
        self.issued.append((symbol, order_id, user))
        message = {"order_id": order_id, "user_id": user, "symbol": symbol,
                   "side": self.rng.choice(("buy", "sell")), "price": self._price(),
                   "quantity": self.rng.randint(1, 20) * 5}
        message.update(extra)
        return message

    def _limit(self, n: int) -> Message:
        return self._new(n)

    def _ioc(self, n: int) -> Message:
        return self._new(n, tif="IOC")

    def _fok(self, n: int) -> Message:
        return self._new(n, tif="FOK")

    def _market(self, n: int) -> Message:
        return self._new(n, type="market", tif=self.rng.choice(("GTC", "IOC", "FOK")))

    def _target(self) -> tuple[str, str, str]:
        """A recent order (symbol, id, owner); sometimes someone else's or made up."""
        if not self.issued or self.rng.random() < 0.05:
            return self.rng.choice(self.symbols), "nope", self.rng.choice(self.users)
        symbol, order_id, user = self.rng.choice(self.issued[-60:])
        if self.rng.random() < 0.1:
            user = self.rng.choice(self.users)
        return symbol, order_id, user

    def _cancel(self, n: int) -> Message:
        symbol, order_id, user = self._target()
        return {"action": "cancel", "order_id": order_id, "user_id": user, "symbol": symbol}

    def _amend(self, n: int) -> Message:
        symbol, order_id, user = self._target()
        message = {"action": "amend", "order_id": order_id, "user_id": user, "symbol": symbol,
                   "quantity": self.rng.randint(1, 20) * 5}
        if self.rng.random() < 0.5:
            message["price"] = self._price()
        return message

    def _bad(self, n: int) -> Message:
        message = self._new(n)
        self.issued.pop()
        field, value = self.rng.choice((("quantity", 0), ("price", "1.001"), ("side", "up"),
                                        ("symbol", "9"), ("tif", "DAY")))
        message[field] = value
        return message

    def _duplicate(self, n: int) -> Message:
        message = self._new(n)
        self.issued.pop()
        if self.issued:
            symbol, order_id, user = self.rng.choice(self.issued[-200:])
            message.update(order_id=order_id, symbol=symbol, user_id=user)
        return message

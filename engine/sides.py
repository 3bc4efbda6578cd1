"""One side of a book: price levels by price, kept in priority order.

Levels live in a dict (price -> level) for O(1) access and their keys in a
``SortedList`` for O(log L) insertion and removal. Bids are keyed by the
negated price so that both sides sort best-first; the best level is cached so
reading it is O(1).
"""

from collections.abc import Iterator
from itertools import islice

from sortedcontainers import SortedList

from engine.orders import Level


class BookSide:
    """The bids or the asks of one symbol."""

    __slots__ = ("best", "keys", "levels", "sign")

    def __init__(self, is_bid: bool) -> None:
        self.sign = -1 if is_bid else 1
        self.levels: dict[int, Level] = {}
        self.keys = SortedList()
        self.best: Level | None = None

    def add_level(self, price: int) -> Level:
        """Create and rank the (absent) level at ``price``."""
        level = self.levels[price] = Level(price)
        self.keys.add(self.sign * price)
        best = self.best
        if best is None or self.sign * price < self.sign * best.price:
            self.best = level
        return level

    def remove(self, level: Level) -> None:
        """Drop an emptied level and promote the next best when it was the best."""
        del self.levels[level.price]
        self.keys.remove(self.sign * level.price)
        if self.best is level:
            keys = self.keys
            self.best = self.levels[self.sign * keys[0]] if keys else None

    def top(self, depth: int) -> Iterator[Level]:
        """The ``depth`` best levels, best first."""
        levels, sign = self.levels, self.sign
        return (levels[sign * key] for key in islice(self.keys, depth))

    def __iter__(self) -> Iterator[Level]:
        """Every level, best first."""
        return self.top(len(self.keys))

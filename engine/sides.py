"""One side of a book: price levels by price, kept in priority order.

Levels live in a dict (price -> level) for O(1) access and their prices in a
plain list sorted worst-first, so the best price is the last item: reading it
and dropping it (a sweep emptied the best level) are O(1), and a new level,
which almost always appears near the top of the book, is placed with a
binary search and a short ``memmove`` of the better prices. Both are C calls
(``bisect``), several times cheaper than a ``SortedList`` on the hot path.
The best level is also cached, so the sweep reads it with one attribute.
"""

from bisect import bisect_left, insort
from collections.abc import Iterator

from engine.orders import Level


class BookSide:
    """The bids or the asks of one symbol."""

    __slots__ = ("best", "is_bid", "keys", "levels", "sign")

    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.sign = -1 if is_bid else 1  # sign * price grows away from the best
        self.levels: dict[int, Level] = {}
        self.keys: list[int] = []  # -sign * price, ascending: the best price is last
        self.best: Level | None = None

    def add_level(self, price: int) -> Level:
        """Create and rank the (absent) level at ``price``."""
        level = self.levels[price] = Level(price)
        key = -self.sign * price
        keys = self.keys
        if not keys or key > keys[-1]:
            keys.append(key)
            self.best = level
        else:
            insort(keys, key)
        return level

    def remove(self, level: Level) -> None:
        """Drop an emptied level and promote the next best when it was the best."""
        del self.levels[level.price]
        keys = self.keys
        if self.best is level:
            keys.pop()
            self.best = self.levels[-self.sign * keys[-1]] if keys else None
        else:
            del keys[bisect_left(keys, -self.sign * level.price)]

    def top(self, depth: int) -> Iterator[Level]:
        """The ``depth`` best levels, best first."""
        levels, sign, keys = self.levels, self.sign, self.keys
        return (levels[-sign * key] for key in keys[:-depth - 1:-1])

    def __iter__(self) -> Iterator[Level]:
        """Every level, best first."""
        return self.top(len(self.keys))

"""One side of a book: price levels by price, kept in priority order.

Levels live in a dict (price -> level) for O(1) access, and in two parallel
plain lists sorted worst-first: ``keys`` (``-sign * price``, ascending) and
``ranked`` (the levels). The best level is the last item, so reading it and
dropping it (a sweep emptied the best level) are O(1); a new level is placed
with a binary search (``bisect``, C) and a ``memmove`` of the better levels
only, which is short because new levels appear near the top of the book.
This is what a ``SortedList`` does inside one of its sub-lists, without its
Python-level bookkeeping, which cost about a tenth of the core's time.
``ranked[-n:]`` is the top of the book for market data, read with one slice.
"""

from bisect import bisect_left
from collections.abc import Callable, Iterator

from engine.orders import Level


class BookSide:
    """The bids or the asks of one symbol."""

    __slots__ = ("best", "format_price", "keys", "levels", "ranked", "sign")

    def __init__(self, is_bid: bool, format_price: Callable[[int], str] = str) -> None:
        self.sign = -1 if is_bid else 1  # sign * price grows away from the best
        self.format_price = format_price
        self.levels: dict[int, Level] = {}
        self.keys: list[int] = []  # -sign * price, ascending: the best price is last
        self.ranked: list[Level] = []  # the levels in the order of keys
        self.best: Level | None = None

    def add_level(self, price: int) -> Level:
        """Create and rank the (absent) level at ``price``."""
        level = self.levels[price] = Level(price, self.format_price(price))
        key = -self.sign * price
        keys = self.keys
        if not keys or key > keys[-1]:
            keys.append(key)
            self.ranked.append(level)
            self.best = level
        else:
            index = bisect_left(keys, key)
            keys.insert(index, key)
            self.ranked.insert(index, level)
        return level

    def remove(self, level: Level) -> None:
        """Drop an emptied level and promote the next best when it was the best."""
        del self.levels[level.price]
        ranked = self.ranked
        if self.best is level:
            self.keys.pop()
            ranked.pop()
            self.best = ranked[-1] if ranked else None
        else:
            index = bisect_left(self.keys, -self.sign * level.price)
            del self.keys[index]
            del ranked[index]

    def depth(self, count: int) -> list[list]:
        """The ``count`` best levels as ``[price text, total quantity]``, best first."""
        return [[level.text, level.total] for level in self.ranked[:-count - 1:-1]]

    def __iter__(self) -> Iterator[Level]:
        """Every level, best first."""
        return reversed(self.ranked)

"""One side of a book: price levels by price, kept in priority order.

Levels live in a dict (price -> level) for O(1) access by price, and in a plain
list ranked worst to best (``keys`` holds their ``-sign * price`` alongside, for
``bisect``), so the best level is the last item: taking it out is a ``pop()``,
and a new level near the best, where most arrive, shifts only the few better
ones. The harness workloads keep tens to a few thousand levels a side; there a
list insert is a short ``memmove`` and beats a ``SortedList`` (a Python-level
call per add and remove) by far. A level far from the best shifts the whole
list: at 100,000 levels that is about 0.8 MB moved, still a fraction of a
millisecond.
"""

from bisect import bisect_left
from collections.abc import Iterator

from engine.orders import Level


class BookSide:
    """The bids or the asks of one symbol."""

    __slots__ = ("best", "depth_json", "depth_seq", "keys", "levels", "ranked", "sign")

    def __init__(self, is_bid: bool) -> None:
        self.sign = -1 if is_bid else 1  # sign * price grows away from the best
        self.levels: dict[int, Level] = {}
        self.keys: list[int] = []  # -sign * price, ascending: the best is last
        self.ranked: list[Level] = []  # the levels in the order of ``keys``
        self.best: Level | None = None
        # The market-data JSON of the top levels and of the best one, and the book_seq it
        # shows (OrderBook.snapshot_json keeps them; no book_seq is ever -2).
        self.depth_json = ("[]", "null")
        self.depth_seq = -2

    def add_level(self, price: int) -> Level:
        """Create the (absent) level at ``price`` and file it in order."""
        level = self.levels[price] = Level(price)
        key = -self.sign * price
        keys = self.keys
        if not keys or key > keys[-1]:
            keys.append(key)
            self.ranked.append(level)
            self.best = level
        else:
            at = bisect_left(keys, key)
            keys.insert(at, key)
            self.ranked.insert(at, level)
        return level

    def remove(self, level: Level) -> None:
        """Drop an emptied level and promote the next best when it was the best."""
        del self.levels[level.price]
        ranked = self.ranked
        if level is self.best:
            self.keys.pop()
            ranked.pop()
            self.best = ranked[-1] if ranked else None
        else:
            at = bisect_left(self.keys, -self.sign * level.price)
            del self.keys[at]
            del ranked[at]

    def top(self, count: int) -> list[Level]:
        """The ``count`` best levels, best first."""
        return self.ranked[:-count - 1:-1]

    def __iter__(self) -> Iterator[Level]:
        """Every level, best first."""
        return reversed(self.ranked)

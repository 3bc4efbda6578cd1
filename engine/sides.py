"""One side of a book: price levels by price, kept in priority order.

Levels live in a dict (price -> level) for O(1) access by price, and their
keys (``-sign * price``, so the best price has the largest key) in a
``SortedList``: adding or dropping a level is O(log L) however deep the book,
and the best level is cached, so reading it is O(1). A plain list with
``bisect`` measured about 10% faster on shallow books but shifts every better
level on each insert, which a deep book (thousands of levels) pays for.
"""

from collections.abc import Callable, Iterator

from sortedcontainers import SortedList

from engine.orders import Level


class BookSide:
    """The bids or the asks of one symbol."""

    __slots__ = ("best", "format_price", "keys", "levels", "sign")

    def __init__(self, is_bid: bool, format_price: Callable[[int], str] = str) -> None:
        self.sign = -1 if is_bid else 1  # sign * price grows away from the best
        self.format_price = format_price
        self.levels: dict[int, Level] = {}
        self.keys = SortedList()  # -sign * price: the best price has the largest key
        self.best: Level | None = None

    def add_level(self, price: int) -> Level:
        """Create the (absent) level at ``price`` and file its key in order."""
        level = self.levels[price] = Level(price, self.format_price(price))
        key = -self.sign * price
        self.keys.add(key)
        if key == self.keys[-1]:
            self.best = level
        return level

    def remove(self, level: Level) -> None:
        """Drop an emptied level and promote the next best when it was the best."""
        del self.levels[level.price]
        keys = self.keys
        keys.remove(-self.sign * level.price)
        if self.best is level:
            self.best = self.levels[-self.sign * keys[-1]] if keys else None

    def depth(self, count: int) -> list[list]:
        """The ``count`` best levels as ``[price text, total quantity]``, best first."""
        levels, sign, keys = self.levels, self.sign, self.keys
        best = (levels[-sign * key] for key in keys.islice(max(len(keys) - count, 0),
                                                               reverse=True))
        return [[level.text, level.total] for level in best]

    def __iter__(self) -> Iterator[Level]:
        """Every level, best first."""
        levels, sign = self.levels, self.sign
        return (levels[-sign * key] for key in reversed(self.keys))

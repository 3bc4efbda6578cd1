"""Bounded caches: the engine keeps texts and conversions that repeat, never without limit."""

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def keep(table: dict[K, V], key: K, value: V, limit: int) -> V:
    """Store ``value`` under ``key`` and return it, emptying ``table`` first when it is full.

    Emptying all at once is cheaper than evicting one by one, and what still repeats comes
    back at its next miss.
    """
    if len(table) >= limit:
        table.clear()
    table[key] = value
    return value

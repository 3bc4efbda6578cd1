"""The worker's full garbage collections run on its schedule, and they still free old cycles."""

import asyncio
import gc
import weakref

import pytest

from app.garbage_collection import (
    NO_AUTOMATIC_FULL_COLLECTION,
    full_collection,
    stop_automatic_full_collections,
)


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def thresholds():
    saved = gc.get_threshold()
    yield
    gc.set_threshold(*saved)


def old_cycle() -> weakref.ref:
    """A reference cycle that has grown old (in the oldest generation), then become garbage."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    gc.collect()  # survivors move to the oldest generation
    return weakref.ref(a)


def grow_old(count: int) -> list[Node]:
    """`count` new objects that live on: enough that CPython would collect in full."""
    kept = []
    for _ in range(count // 1000 + 1):
        kept.append([Node() for _ in range(1000)])  # allocations run the young collections
    return kept


def test_only_full_collections_stop(thresholds):
    young, middle, _ = gc.get_threshold()
    asyncio.run(stop_automatic_full_collections())
    assert gc.get_threshold() == (young, middle, NO_AUTOMATIC_FULL_COLLECTION)


def test_an_old_cycle_waits_for_the_scheduled_collection(thresholds):
    asyncio.run(stop_automatic_full_collections())
    cycle = old_cycle()
    grow_old(4 * len(gc.get_objects()))
    assert cycle() is not None
    asyncio.run(full_collection())
    assert cycle() is None

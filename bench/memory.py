"""Memory per resting order, measured with tracemalloc.

Usage: ``python -m bench.memory [--orders 200000]``. Everything the book keeps
alive for a resting order is counted: the order object, its id string, its
integers (the price is its level's), the id index entry and its place in the
level queue; the dedup window forgets each id at once. A held id is measured
apart, as most held ids are: accepted orders that left the book (IOC orders
with nothing to trade against), whose id string, accepted time and window
entries are all that stays. An id of a resting order shares its string and time
with the order, so it adds only the window entries (the third number).
"""

import argparse
import gc
import sys
import time
import tracemalloc

from engine import NewOrder, OrderBook, parse_iso

START = parse_iso("2026-01-01T00:00:00Z")
USERS = [f"user{i}" for i in range(1000)]


def fill_book(book: OrderBook, count: int) -> None:
    """Rest ``count`` non-crossing limit orders over 100 price levels."""
    for n in range(count):
        side, price = ("buy", 9_950 + n % 50) if n % 2 else ("sell", 10_001 + n % 50)
        book.apply(NewOrder(f"ord-{n:08d}", USERS[n % 1000], "AAPL", side, "limit", "GTC",
                            price, 100 + n % 400), START + n)


def bytes_per_order(count: int, dedup_window: int) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    book = OrderBook("AAPL", dedup_window=dedup_window)
    fill_book(book, count)
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert len(book.orders) == count
    return used / count


def bytes_per_held_id(count: int) -> float:
    """Bytes per id held in the window for an order that is gone from the book."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    book = OrderBook("AAPL", dedup_window=10**12, dedup_ids=count)
    for n in range(count):  # nothing rests, so nothing trades: each IOC expires at once
        book.apply(NewOrder(f"ioc-{n:08d}", USERS[n % 1000], "AAPL", "sell", "limit", "IOC",
                            10_001, 100), START + n)
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert not book.orders and len(book.dedup.accepted_at) == count
    return used / count


def measure(count: int) -> tuple[float, float, float]:
    """Bytes per resting order, per held id of a gone order, per held id of a resting one."""
    book_only = bytes_per_order(count, dedup_window=1)  # each id expires at once
    with_dedup = bytes_per_order(count, dedup_window=10**12)
    return book_only, bytes_per_held_id(count), with_dedup - book_only


def summary(count: int) -> str:
    """The three numbers of ``measure`` in a sentence."""
    resting, held, held_resting = measure(count)
    return (f"{resting:.0f} bytes per resting order ({count:,} orders); {held:.0f} bytes per "
            f"id held in the dedup window (order gone), {held_resting:.0f} more per resting "
            "order while its id is held")


def full_collection_ms(count: int) -> float:
    """How long a full garbage collection stops the process with `count` resting orders:
    each order is one object the collector walks (`app.garbage_collection`)."""
    book = OrderBook("AAPL", dedup_window=10**12)
    fill_book(book, count)
    began = time.perf_counter()
    gc.collect()
    return (time.perf_counter() - began) * 1e3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--orders", type=int, default=200_000)
    count = parser.parse_args(argv).orders
    print(f"memory: {summary(count)}")
    print(f"a full garbage collection with {count:,} resting orders: "
          f"{full_collection_ms(count):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

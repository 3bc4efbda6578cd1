"""Memory per resting order, measured with tracemalloc.

Usage: ``python -m bench.memory [--orders 200000]``. Everything the book keeps
alive for an order is counted: the order object, its id string, the id index
entry and its place in the level queue. The dedup window (one entry per
accepted id, resting or not) is measured separately.
"""

import argparse
import gc
import sys
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


def measure(count: int) -> tuple[float, float]:
    """(bytes per resting order without dedup entries, bytes per dedup entry)."""
    book_only = bytes_per_order(count, dedup_window=1)  # each id expires at once
    with_dedup = bytes_per_order(count, dedup_window=10**12)
    return book_only, with_dedup - book_only


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--orders", type=int, default=200_000)
    count = parser.parse_args(argv).orders
    book_only, dedup = measure(count)
    print(f"memory: {book_only:.0f} bytes per resting order ({count:,} orders), "
          f"plus {dedup:.0f} bytes per id in the dedup window")
    return 0


if __name__ == "__main__":
    sys.exit(main())

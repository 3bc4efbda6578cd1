"""Throughput of the matching core and of ``order-replay``, beside the naive book.

Usage: ``python -m bench.core [--messages 1000000] [--naive-messages 20000]
[--stream a|b|both]``.

Streams: (a) new limit orders around a moving mid, about half of which trade;
(b) a mixed stream of GTC/IOC/FOK limits, market orders, cancels, amends, bad
and duplicate messages. "Core alone" applies pre-parsed commands to the books
and keeps the compact events (rendering to dicts and JSON is the edge's job);
it is timed with CPython's cyclic GC as configured by default and with the GC
frozen and off (the core makes no reference cycles, so an embedding process
may do that). "empty loop" is the same timing loop calling a book whose
``apply`` does nothing: the floor of any pure-Python core on this machine.
"order-replay" runs the real command (``engine.replay.main``, imported the
way this process imported ``engine``) on a JSON-lines file with its output sent
to /dev/null. The first line says which build runs: pure Python, or the mypyc
build of ``make accel`` when run from build/accel (see the README). The naive
reference book re-sorts a list per command, so it is timed on a prefix of each
stream (``--naive-messages``); its end-to-end row parses the same lines,
renders every event and a market-data snapshot (top 10 levels) after every
accepted command as contract-shaped dicts (naive state lacks some values:
those are None), encodes them with orjson and writes lines like ``order-replay``.
"""

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bench.memory import START, summary
from engine import (
    MARKET_DATA,
    ORDER_EVENTS,
    TRADES,
    NewOrder,
    OrderBook,
    Output,
    Rejection,
    format_iso,
    parse_command,
    rejection_output,
)
from engine.book import DEPTH
from engine.config import DEFAULT_DEDUP_WINDOW, DEFAULT_TICK
from engine.events import TRADE
from engine.outputs import encode_json
from engine.prices import PriceTexts
from engine.replay import encode_line
from tests.engine.naive_book import NaiveBook
from tests.engine.order_streams import MixedStream, moving_mid_limit_orders

_REPLAY = "import sys; from engine.replay import main; sys.exit(main())"


def engine_build() -> str:
    """Which build of the engine this process runs: pure Python or compiled (mypyc)."""
    book = sys.modules[OrderBook.__module__].__file__ or ""
    return f"{'mypyc' if book.endswith('.so') else 'pure Python'} ({os.path.dirname(book)})"


def stream_a(count: int) -> list[bytes]:
    return [json.dumps(m).encode() for m in moving_mid_limit_orders(count, seed=1)]


def stream_b(count: int) -> list[bytes]:
    stream = MixedStream(seed=1, users=200, spread=20)
    return [json.dumps(m).encode() for m in stream.messages(count)]


def parsed(lines: list[bytes]) -> list:
    """Commands of a stream (rejections dropped), parsed once outside the timing."""
    commands = (parse_command(line, topic="orders", partition=0, offset=n, now=START)
                for n, line in enumerate(lines))
    return [command for command in commands if not isinstance(command, Rejection)]


@contextmanager
def cyclic_gc(enabled: bool) -> Iterator[None]:
    """Run with the cyclic GC as is, or with everything frozen and the GC off."""
    if enabled:
        yield
        return
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


class IdleBook:
    """A book that does nothing: times the benchmark loop and one method call."""

    def apply(self, command: object, now: int) -> None:
        """Nothing."""


def core_rate(commands: list, make_book: Callable[[str], object]) -> float:
    """Commands per CPU-second applied to fresh per-symbol books."""
    books = {symbol: make_book(symbol) for symbol in {command.symbol for command in commands}}
    began = time.process_time()
    for n, command in enumerate(commands):
        books[command.symbol].apply(command, START + n)
    return len(commands) / (time.process_time() - began)


def replay_rate(lines: list[bytes]) -> float:
    """Messages per second of the ``order-replay`` command, JSON in, JSON out."""
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as source:
        source.write(b"\n".join(lines) + b"\n")
        source.flush()
        began = time.perf_counter()
        # -c, not -m: a compiled module has no code object for -m to run; sys.path as ours.
        subprocess.run([sys.executable, "-c", _REPLAY, source.name, "--fixed-clock"],
                       stdout=subprocess.DEVNULL, check=True,
                       env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        return len(lines) / (time.perf_counter() - began)


def naive_replay_rate(lines: list[bytes]) -> float:
    """The same JSON-in, JSON-out loop in-process, with the naive book as matcher."""
    books: dict[str, NaiveBook] = {}
    price = PriceTexts(DEFAULT_TICK).__getitem__
    out = []
    began = time.perf_counter()
    for n, line in enumerate(lines):
        command = parse_command(line, topic="orders", partition=0, offset=n, now=START + n)
        if isinstance(command, Rejection):
            out.append(encode_line(rejection_output(command)))
            continue
        book = books.setdefault(command.symbol, NaiveBook(DEFAULT_DEDUP_WINDOW))
        events = book.apply(command, START + n)
        ts = format_iso(START + n)
        out.extend(encode_line(naive_output(event, command, price, ts)) for event in events)
        if events[0][0] != "rejected":
            out.append(encode_line(Output(MARKET_DATA, command.symbol, encode_json(
                naive_snapshot(book, command.symbol, price, ts)))))
    return len(lines) / (time.perf_counter() - began)


def naive_output(event: tuple, command, price: Callable[[int], str], ts: str) -> Output:
    """A naive event as a contract-shaped output (values the naive book lacks are None)."""
    symbol = command.symbol
    if event[0] == "trade":
        _, seq, ticks, quantity, buy_id, sell_id, aggressor_side = event
        return Output(TRADES, symbol, encode_json({
            "trade_id": f"{symbol}-{seq}", "seq": seq, "symbol": symbol, "price": price(ticks),
            "quantity": quantity, "buy_order_id": buy_id, "sell_order_id": sell_id,
            "buy_user_id": None, "sell_user_id": None, "aggressor_side": aggressor_side,
            "ts": ts}))
    name, order_id, *numbers = event
    quantity, filled, remaining, reason = numbers if len(numbers) == 4 else (0, 0, 0, numbers[0])
    ticks = command.price if isinstance(command, NewOrder) else None
    return Output(ORDER_EVENTS, symbol, encode_json({
        "event": name, "order_id": order_id, "user_id": command.user_id, "symbol": symbol,
        "side": getattr(command, "side", None), "price": None if ticks is None else price(ticks),
        "quantity": quantity, "filled_quantity": filled, "remaining_quantity": remaining,
        "reason": reason, "detail": "", "timestamp": None, "ts": ts}))


def naive_snapshot(book: NaiveBook, symbol: str, price: Callable[[int], str], ts: str) -> dict:
    """Market data from the naive book: its top ``DEPTH`` levels per side."""
    bids = [[price(ticks), total] for ticks, total in book.levels("buy")[:DEPTH]]
    asks = [[price(ticks), total] for ticks, total in book.levels("sell")[:DEPTH]]
    return {"symbol": symbol, "seq": None, "trade_seq": book.trade_seq,
            "best_bid": bids[0] if bids else None, "best_ask": asks[0] if asks else None,
            "bids": bids, "asks": asks, "last_trade": None, "ts": ts}


def traded_share(commands: list) -> float:
    """Share of commands that made at least one trade."""
    book, traded = OrderBook("AAPL"), 0
    for n, command in enumerate(commands):
        events = book.apply(command, START + n).events
        traded += any(type(e) is tuple and e[0] == TRADE for e in events)
    return traded / max(len(commands), 1)


def bench_stream(name: str, lines: list[bytes], naive_count: int) -> None:
    commands = parsed(lines)
    prefix = min(naive_count, len(lines))
    print(f"stream {name}: {len(lines):,} messages")
    for enabled in (True, False):
        with cyclic_gc(enabled):
            rate = core_rate(commands, OrderBook)
        label = "GC default" if enabled else "GC frozen+off"
        print(f"  core alone ({label:13s}) {rate:>10,.0f} msg/s")
    idle = core_rate(commands, lambda symbol: IdleBook())
    print(f"  empty loop (no-op apply)    {idle:>10,.0f} msg/s")
    naive = core_rate(commands[:naive_count], lambda symbol: NaiveBook(DEFAULT_DEDUP_WINDOW))
    print(f"  core alone, naive book      {naive:>10,.0f} msg/s (first {prefix:,})")
    print(f"  order-replay end to end     {replay_rate(lines):>10,.0f} msg/s")
    print(f"  naive book end to end       {naive_replay_rate(lines[:naive_count]):>10,.0f} "
          f"msg/s (in-process, same rendering and encoding, first {prefix:,})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.core", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--naive-messages", type=int, default=20_000)
    parser.add_argument("--stream", choices=("a", "b", "both"), default="both")
    args = parser.parse_args(argv)
    print(f"engine: {engine_build()}")
    if args.stream in ("a", "both"):
        lines = stream_a(args.messages)
        share = traded_share(parsed(lines[:100_000]))
        bench_stream(f"a (limit orders around a moving mid, {share:.0%} trade)", lines,
                     args.naive_messages)
    if args.stream in ("b", "both"):
        bench_stream("b (mixed: cancels, amends, IOC/FOK, market)", stream_b(args.messages),
                     args.naive_messages)
    print(f"memory: {summary(min(args.messages, 200_000))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``order-replay``: run order messages offline through the live validation and matching.

Line n (0-based, every line counts) of FILE (or stdin for ``-``) is offset n of
partition 0 of topic ``orders``; each message the engine would publish is
written to stdout as ``{"topic", "key", "value"}`` JSON, in publishing order.

Lines are encoded with ``orjson`` (compact, UTF-8, keys in insertion order),
an order of magnitude faster than ``json``; the few values it refuses
(integers beyond 64 bits) fall back to ``json``. Both give the same JSON
values. Parsing already replaced the lone surrogates of echoed text, so every
line is valid UTF-8 JSON.
"""

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import BinaryIO, TextIO, TypeVar

from engine.clock import MICROS_PER_SECOND, Micros, parse_iso, wall_clock
from engine.config import (
    DEFAULT_DEDUP_IDS,
    DEFAULT_DEDUP_WINDOW,
    DEFAULT_LOT,
    DEFAULT_TICK,
    EngineConfig,
    SymbolSpec,
)
from engine.engine import Engine
from engine.outputs import ORDER_EVENTS, TOPICS, Output, encode_json

DEFAULT_START = "2026-01-01T00:00:00Z"
_T = TypeVar("_T")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``order-replay`` console script."""
    args = _parser().parse_args(argv)
    try:
        config = _config(args)
    except ValueError as error:
        print(f"order-replay: {error}", file=sys.stderr)
        return 2
    clock = _clock(args.fixed_clock)
    counts: Counter[str] = Counter()
    started = time.perf_counter()
    source = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")  # noqa: SIM115
    try:
        with source:
            lines = replay(_lines(source), Engine(config), clock, set(args.only or TOPICS),
                           counts)
            _write(lines, sys.stdout)
    except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    if args.summary:
        _summarise(counts, time.perf_counter() - started, sys.stderr)
    return 0


def replay(lines: Iterable[bytes], engine: Engine, clock: Callable[[int], Micros],
           topics: set[str], counts: Counter[str]) -> Iterator[bytes]:
    """JSON lines of every published message for each input line, counting as it goes.

    Counts go to a plain dict (``Counter`` item updates are slower) and are
    added to ``counts`` once the input is exhausted.
    """
    tally = dict.fromkeys((*TOPICS, "messages", "rejected"), 0)
    process = engine.process
    offset = -1
    for offset, raw in enumerate(lines):
        for output in process(raw, offset=offset, now=clock(offset)):
            topic = output.topic
            tally[topic] += 1
            if topic == ORDER_EVENTS and output.value["event"] == "rejected":
                tally["rejected"] += 1
            if topic in topics:
                yield encode_line(output)
    tally["messages"] = offset + 1
    counts.update(tally)


def encode_line(output: Output) -> bytes:
    """One output as a JSON line (without the newline): ``Output.to_dict()``, inlined."""
    return encode_json({"topic": output.topic, "key": output.key, "value": output.value})


def _lines(source: BinaryIO) -> Iterator[bytes]:
    for line in source:
        yield line[:-1] if line.endswith(b"\n") else line


def _write(lines: Iterable[bytes], out: TextIO, batch: int = 4096) -> None:
    """Write the lines in batches, as bytes, to the binary buffer under ``out``."""
    out.flush()
    raw = out.buffer
    chunk: list[bytes] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == batch:
            chunk.append(b"")
            raw.write(b"\n".join(chunk))
            chunk.clear()
    if chunk:
        chunk.append(b"")
        raw.write(b"\n".join(chunk))
    raw.flush()


def _clock(fixed_start: str | None) -> Callable[[int], Micros]:
    """Wall time by default; with a fixed start, start + offset microseconds."""
    if fixed_start is None:
        return lambda offset: wall_clock()
    start = parse_iso(fixed_start)
    return lambda offset: start + offset


def _summarise(counts: Counter[str], seconds: float, err: TextIO) -> None:
    messages = counts["messages"]
    rate = messages / seconds if seconds > 0 else float("inf")
    published = ", ".join(f"{topic}={counts[topic]}" for topic in TOPICS)
    print(f"order-replay: {messages} messages in {seconds:.3f} s ({rate:,.0f} msg/s); "
          f"published {published}; rejected={counts['rejected']}", file=err)


def _config(args: argparse.Namespace) -> EngineConfig:
    ticks = dict(_pairs(args.tick, "--tick", _decimal))
    lots = dict(_pairs(args.lot, "--lot", int))
    default = SymbolSpec(_decimal(args.default_tick), args.default_lot)
    symbols = {symbol: SymbolSpec(ticks.get(symbol, default.tick), lots.get(symbol, default.lot))
               for symbol in ticks.keys() | lots.keys()}
    return EngineConfig(default, symbols, int(args.dedup_window * MICROS_PER_SECOND),
                        args.dedup_ids)


def _pairs(items: list[str] | None, flag: str, convert: Callable[[str], _T]
           ) -> Iterator[tuple[str, _T]]:
    for item in items or []:
        symbol, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"{flag} wants SYMBOL=VALUE, got {item!r}")
        yield symbol.upper(), convert(value)


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as error:
        raise ValueError(f"not a decimal: {text!r}") from error


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="order-replay",
        description="Replay order messages through the engine's validation and matching, "
                    "offline; print what the engine would publish as JSON lines.")
    parser.add_argument("file", help="file with one message per line, or - for stdin")
    parser.add_argument("--only", action="append", choices=TOPICS,
                        help="print only this topic (repeatable)")
    parser.add_argument("--summary", action="store_true",
                        help="print counts and throughput to stderr")
    parser.add_argument("--fixed-clock", nargs="?", const=DEFAULT_START, metavar="ISO",
                        help="deterministic time: line n happens at ISO + n microseconds "
                             f"(default start {DEFAULT_START}); otherwise wall-clock time")
    parser.add_argument("--default-tick", default=str(DEFAULT_TICK),
                        help=f"tick size of symbols not named by --tick ({DEFAULT_TICK})")
    parser.add_argument("--default-lot", type=int, default=DEFAULT_LOT,
                        help=f"lot size of symbols not named by --lot ({DEFAULT_LOT})")
    parser.add_argument("--tick", action="append", metavar="SYMBOL=TICK",
                        help="tick size of one symbol (repeatable)")
    parser.add_argument("--lot", action="append", metavar="SYMBOL=LOT",
                        help="lot size of one symbol (repeatable)")
    window = DEFAULT_DEDUP_WINDOW // MICROS_PER_SECOND
    parser.add_argument("--dedup-window", type=float, default=window, metavar="SECONDS",
                        help=f"how long an accepted order id stays a duplicate ({window})")
    parser.add_argument("--dedup-ids", type=int, default=DEFAULT_DEDUP_IDS, metavar="COUNT",
                        help="how many accepted ids per symbol stay duplicates at most "
                             f"({DEFAULT_DEDUP_IDS:,})")
    return parser


if __name__ == "__main__":
    sys.exit(main())

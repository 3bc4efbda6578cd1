"""``order-replay``: run order messages offline through the live validation and matching.

Line n (0-based, every line counts) of FILE (or stdin for ``-``) is offset n of
partition 0 of topic ``orders``; each message the engine would publish is
written to stdout as ``{"topic", "key", "value"}`` JSON, in publishing order.

A line is the output's published value (``Output.json``, compact UTF-8 JSON)
wrapped in a prefix made once per topic and key: the same bytes as encoding the
line's dict with ``engine.outputs.encode_json``. Parsing already replaced the
lone surrogates of echoed text, so every line is valid UTF-8 JSON.
"""

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import BinaryIO, Final, TextIO, TypeVar

from engine.caches import keep
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
from engine.outputs import MARKET_DATA, ORDER_EVENTS, TOPICS, TRADES, Output, encode_json
from engine.render import json_text

DEFAULT_START: Final = "2026-01-01T00:00:00Z"
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
    """JSON lines (each ending in a newline) of every published message, in blocks.

    Each item holds the lines of several input messages joined (``_BLOCK_PARTS``): one
    join and one write a block cost less than a concatenation and a write a line. Counts
    are kept in locals and added to ``counts`` once the input is exhausted.
    """
    trades = events = market = rejected = 0
    trade_lines, event_lines, market_lines = (_TopicLines(topic, topic in topics)
                                              for topic in (TRADES, ORDER_EVENTS, MARKET_DATA))
    parts: list[bytes] = []
    offset = -1
    for offset, raw in enumerate(lines):
        for output in engine.process(raw, offset=offset, now=clock(offset)):
            topic = output.topic
            if topic == ORDER_EVENTS:
                events += 1
                rejected += output.json.startswith(_REJECTED)
                lines_of_topic = event_lines
            elif topic == TRADES:
                trades += 1
                lines_of_topic = trade_lines
            else:
                market += 1
                lines_of_topic = market_lines
            if lines_of_topic.wanted:
                lines_of_topic.add(output, parts)
        if len(parts) >= _BLOCK_PARTS:
            yield b"".join(parts)
            parts = []
    if parts:
        yield b"".join(parts)
    counts.update({TRADES: trades, ORDER_EVENTS: events, MARKET_DATA: market,
                   "messages": offset + 1, "rejected": rejected})


_REJECTED: Final = b'{"event":"rejected"'
_BLOCK_PARTS: Final = 1 << 12
_PREFIXES_KEPT: Final = 1 << 12
_LINE_END: Final = b"}\n"


class _TopicLines:
    """Writes one topic's lines during a replay, keeping each key's line prefix.

    The prefixes by key are emptied when they reach ``_PREFIXES_KEPT`` (rejections' keys
    are whatever messages held); the last key's is at hand, as a command's outputs share
    their key (``is``: one object, the book's symbol).
    """

    __slots__ = ("key", "prefix", "prefixes", "topic", "wanted")

    def __init__(self, topic: str, wanted: bool) -> None:
        self.topic, self.wanted = topic, wanted
        self.prefixes: dict[str | None, bytes] = {}
        self.key: str | None = None
        self.prefix = _line_prefix(topic, None)

    def add(self, output: Output, parts: list[bytes]) -> None:
        """Append the pieces of ``encode_line(output)`` to ``parts``."""
        key = output.key
        if key is not self.key:
            self.key, self.prefix = key, self._prefix(key)
        if self.prefix:
            parts.append(self.prefix)
            parts.append(output.json)
            parts.append(_LINE_END)
        else:
            parts.append(encode_line(output))

    def _prefix(self, key: str | None) -> bytes:
        prefix = self.prefixes.get(key)
        if prefix is None:
            prefix = keep(self.prefixes, key, _line_prefix(self.topic, key), _PREFIXES_KEPT)
        return prefix


def _line_prefix(topic: str, key: str | None) -> bytes:
    """The start of a line, ``{"topic":...,"key":...,"value":``; b"" for an odd key.

    That is orjson's text of the topic and key, and also ``json``'s (the fallback's, for
    a value with an integer beyond 64 bits) when the key is printable ASCII. A key that
    is not (only a rejection's can be) gets b"": its line is encoded whole.
    """
    if key is None or (key.isascii() and key.isprintable()):
        return f'{{"topic":"{topic}","key":{json_text(key)},"value":'.encode()
    return b""


def encode_line(output: Output) -> bytes:
    """One output as a line of ``order-replay``: ``Output.to_dict()`` encoded, and a newline.

    The value is already JSON, so it is wrapped in its topic's and key's prefix; with a
    key that is not printable ASCII the whole line is encoded again.
    """
    prefix = _line_prefix(output.topic, output.key)
    if prefix:
        return b"".join((prefix, output.json, _LINE_END))
    return encode_json(output.to_dict()) + b"\n"


def _lines(source: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    """The lines of ``source`` without their newlines, read a megabyte at a time."""
    rest = b""
    while chunk := source.read(size):
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        yield from lines
    if rest:
        yield rest


def _write(lines: Iterable[bytes], out: TextIO) -> None:
    """Write the lines, as bytes, to the binary buffer under ``out``."""
    out.flush()
    out.buffer.writelines(lines)
    out.buffer.flush()


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

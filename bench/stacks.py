"""Where a worker's CPU goes: a summary of py-spy's collapsed stacks, grouped by layer.

Usage: ``python -m bench.stacks FILE.collapsed [--top 25]`` on what
``bench.pipeline --profile DIR`` saved (``py-spy record --format raw --threads``; py-spy
samples only threads that are running, so shares are of CPU, not of wall time). Prints the
share of samples per thread, per layer (by the innermost frame, "self", and by any frame,
"total") and the top functions by self and by total time.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

#: Layers, first match wins: (name, file or function pattern).
LAYERS = (
    ("our commit path (exactly_once commit, staged_state)",
     r"app/staged_state\.py|(commit|_commit_one|commit_open|all_locks) \(app/exactly_once"),
    ("our unit of work (exactly_once process/send, batches, outputs)",
     r"app/(exactly_once|record_batches|transaction_outputs)\.py"),
    ("matcher agent, engine, tables", r"\((agents|engine|tables)/"),
    ("JSON (de)serialisation", r"\(json/|orjson|faust/serializers/|faust/utils/json"),
    ("Faust send path", r"\(faust/(topics|channels)\.py|Producer\.send |"
                        r"TransactionManager\.send |faust/sensors/"),
    ("aiokafka producer, sender", r"\(aiokafka/producer/"),
    ("aiokafka consumer, fetcher", r"\(aiokafka/consumer/"),
    ("aiokafka connection, protocol, records", r"\(aiokafka/(conn|client|protocol|record)"),
    ("Faust stream, agent, consumer machinery", r"\(faust/|\(mode/"),
    ("locks", r"\(asyncio/locks\.py|\(threading\.py|mode/utils/locks"),
    ("event loop, selector, tasks", r"\(asyncio/|\(selectors\.py"),
    ("RocksDB", r"rocksdict"),
)
OTHER = "other"


def samples(path: Path) -> Iterator[tuple[str, list[str], int]]:
    """(thread name, frames outermost first, sample count) per collapsed line."""
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        thread, _, frames = stack.partition(";")
        yield thread.split(": ", 1)[-1], frames.split(";") if frames else [], int(count)


def function(frame: str) -> str:
    """A frame without its line number: a function's samples add up."""
    return re.sub(r":\d+\)$", ")", frame)


def layer(frame: str) -> str:
    for name, pattern in LAYERS:
        if re.search(pattern, frame):
            return name
    return OTHER


def table(title: str, counts: Counter, total: int, top: int) -> None:
    print(f"\n| {title} | % of CPU samples |\n|---|---|")
    for name, n in counts.most_common(top):
        print(f"| `{name}` | {n / total:.1%} |")


def summarize(path: Path, top: int) -> None:
    threads, self_layer, total_layer = Counter(), Counter(), Counter()
    self_fn, total_fn = Counter(), Counter()
    for thread, frames, n in samples(path):
        threads[thread] += n
        if not frames:
            continue
        frames = [function(f) for f in frames]
        self_fn[frames[-1]] += n
        self_layer[layer(frames[-1])] += n
        for name in {layer(f) for f in frames}:
            total_layer[name] += n
        for frame in set(frames):
            total_fn[frame] += n
    total = sum(threads.values())
    print(f"## {path.name}: {total:,} samples")
    table("thread", threads, total, top)
    table("layer, self (innermost frame)", self_layer, total, top)
    table("layer, total (any frame; the event loop is every sample's root)", total_layer,
          total, top)
    table("function, self", self_fn, total, top)
    table("function, total", total_fn, total, top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    for path in args.files:
        summarize(path, args.top)


if __name__ == "__main__":
    main()

"""The engine's outputs, normalised so the live pipeline and `order-replay` compare exactly.

Per key (the symbol), the records of each output topic must be equal and in the same
order; wall-clock fields (`ts`, `accepted_ts`) are dropped, and an order id the engine
assigned from the message's position (`TOPIC-PARTITION-OFFSET`) is masked, since a
replayed file and a partitioned topic number their messages differently. Records without
a key (rejections of messages without a readable symbol) have no order relative to each
other: they compare as a multiset.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

#: (topic, key) -> the records published with that key, in order.
Published = dict[tuple[str, str | None], list[Any]]

_ASSIGNED_ID = re.compile(r"^[A-Za-z0-9._-]+-\d+-\d+$")
WALL_CLOCK_FIELDS = frozenset({"ts", "accepted_ts"})


def normalise(value: Any) -> Any:
    """Drop wall-clock fields and mask position-assigned order ids, recursively."""
    if isinstance(value, dict):
        return {k: _mask(k, normalise(v)) for k, v in value.items()
                if k not in WALL_CLOCK_FIELDS}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def _mask(key: str, value: Any) -> Any:
    if key == "order_id" and isinstance(value, str) and _ASSIGNED_ID.match(value):
        return "<assigned>"
    return value


def group(records: Iterable[tuple[str, str | None, Any]]) -> Published:
    """Group (topic, key, value) records by topic and key, keeping their order."""
    grouped: Published = defaultdict(list)
    for topic, key, value in records:
        grouped[(topic, key)].append(normalise(value))
    for (_topic, key), values in grouped.items():
        if key is None:
            values.sort(key=lambda v: json.dumps(v, sort_keys=True))
    return dict(grouped)


def differences(live: Published, expected: Published, limit: int = 5) -> list[str]:
    """Human-readable differences, first `limit` per group; empty when equal."""
    problems = []
    for group_key in sorted(set(live) | set(expected), key=str):
        got, want = live.get(group_key, []), expected.get(group_key, [])
        if got == want:
            continue
        first = next((i for i, (g, w) in enumerate(zip(got, want, strict=False)) if g != w),
                     min(len(got), len(want)))
        problems.append(f"{group_key}: {len(got)} records live, {len(want)} replayed; first "
                        f"difference at {first}: live {got[first:first + 1]} "
                        f"replay {want[first:first + 1]}")
        if len(problems) >= limit:
            break
    return problems


def trade_sequence_gaps(live: Published, trades_topic: str) -> list[str]:
    """Symbols whose trade sequence is not 1, 2, 3, ... without repeats."""
    return [f"{key}: {[t['seq'] for t in trades][:20]}..." for (topic, key), trades in live.items()
            if topic == trades_topic and [t["seq"] for t in trades] != list(
                range(1, len(trades) + 1))]

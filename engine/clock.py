"""Engine time: integer microseconds since the Unix epoch, UTC.

The core never reads the clock; callers pass ``now`` so that replays are
deterministic. Integers keep the dedup-window arithmetic exact and cheap, and
ISO-8601 strings are only made at the edge when an output is rendered.
"""

from datetime import UTC, datetime, timedelta
from typing import Final

from engine.caches import keep

Micros = int

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
MICROS_PER_SECOND: Final = 1_000_000


def micros_from_datetime(moment: datetime) -> Micros:
    """Convert an aware datetime (naive is taken as UTC) to engine time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def wall_clock() -> Micros:
    """The current wall-clock time, for edges that want live timestamps."""
    return micros_from_datetime(datetime.now(UTC))


def parse_iso(text: str) -> Micros:
    """Parse an ISO-8601 time such as ``2026-11-25T15:00:00Z`` to engine time."""
    return micros_from_datetime(datetime.fromisoformat(text))


class _SecondTexts(dict[int, str]):
    """Second since the epoch -> ``YYYY-MM-DDTHH:MM:SS.``, made on first use.

    Emptied when it holds ``_SECONDS_KEPT`` seconds, so it stays bounded.
    """

    def __missing__(self, second: int) -> str:
        text = (_EPOCH + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S.")
        return keep(self, second, text, _SECONDS_KEPT)


class _LastMilli:
    """The millisecond rendered last, with its text (``_SecondTexts``' and three digits).

    A command's outputs share one time and commands come many to a millisecond, so a
    comparison replaces most lookups. One tuple, replaced whole: a thread that reads it
    never sees one millisecond with another's text.
    """

    __slots__ = ("pair",)

    def __init__(self) -> None:
        self.pair: tuple[int, str] = (-1 << 64, "")  # no engine time's millisecond


_SECONDS_KEPT: Final = 4096
_SECOND_TEXTS: Final = _SecondTexts()
_LAST_MILLI: Final = _LastMilli()
_DIGITS: Final = tuple(f"{n:03d}" for n in range(1000))  # three digits of the microseconds each


def _milli_text(milli: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmm`` of the millisecond ``milli`` since the epoch."""
    last, text = _LAST_MILLI.pair
    if milli != last:
        text = f"{_SECOND_TEXTS[milli // 1000]}{_DIGITS[milli % 1000]}"
        _LAST_MILLI.pair = (milli, text)
    return text


def format_iso(micros: Micros) -> str:
    """Render engine time as ISO-8601 UTC with microseconds and a ``Z``.

    Every output carries a time, mostly a new one, so this is on the edge's hot path:
    ``strftime`` runs once per second (its text is kept), the milliseconds' digits once
    per millisecond, and the microseconds' are a lookup of three digits (formatting them
    costs several times more).
    """
    milli = micros // 1000
    return f"{_milli_text(milli)}{_DIGITS[micros % 1000]}Z"


def iso_json(micros: Micros) -> str:
    """``format_iso`` as a JSON string literal: the same text, quoted."""
    milli = micros // 1000
    return f'"{_milli_text(milli)}{_DIGITS[micros % 1000]}Z"'

"""Engine time: integer microseconds since the Unix epoch, UTC.

The core never reads the clock; callers pass ``now`` so that replays are
deterministic. Integers keep the dedup-window arithmetic exact and cheap, and
ISO-8601 strings are only made at the edge when an output is rendered.
"""

from datetime import UTC, datetime, timedelta
from functools import lru_cache

Micros = int

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROS_PER_SECOND = 1_000_000


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


@lru_cache(maxsize=1024)
def format_iso(micros: Micros) -> str:
    """Render engine time as ISO-8601 UTC with microseconds and a ``Z``.

    Every output carries a time, so this is on the edge's hot path: cached
    (the outputs of one command and its snapshot share a time), and on a miss
    ``strftime`` runs once per minute (cached) while the seconds and
    microseconds are plain integer formatting, several times faster.
    """
    seconds, fraction = divmod(micros, MICROS_PER_SECOND)
    minute, second = divmod(seconds, 60)
    return f"{_minute_prefix(minute)}{second:02d}.{fraction:06d}Z"


@lru_cache(maxsize=64)
def _minute_prefix(minute: int) -> str:
    """``YYYY-MM-DDTHH:MM:`` of a minute since the epoch."""
    return (_EPOCH + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:")

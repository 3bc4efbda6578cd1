"""The per-symbol window of recently accepted order ids.

An id accepted at time t blocks a new order with the same id until
t + window. Ids are kept in acceptance order so expiry pops from the front;
``add`` and ``expire`` report what changed so the caller can persist deltas.
"""

from collections import deque

from engine.clock import Micros

_NEVER: Micros = 2**63  # later than any engine time


class DedupWindow:
    """Order ids accepted within the last ``window`` microseconds."""

    __slots__ = ("accepted_at", "ids", "next_expiry", "times", "window")

    def __init__(self, window: Micros) -> None:
        self.window = window
        self.accepted_at: dict[str, Micros] = {}
        self.ids: deque[str] = deque()
        self.times: deque[Micros] = deque()
        self.next_expiry: Micros = _NEVER  # when the oldest id leaves; lets callers skip expire

    def __contains__(self, order_id: str) -> bool:
        return order_id in self.accepted_at

    def __len__(self) -> int:
        return len(self.accepted_at)

    def add(self, order_id: str, now: Micros) -> None:
        """Remember ``order_id`` as accepted at ``now``."""
        self.accepted_at[order_id] = now
        self.ids.append(order_id)
        self.times.append(now)
        if self.next_expiry == _NEVER:
            self.next_expiry = now + self.window

    def expire(self, now: Micros) -> list[str]:
        """Forget the ids accepted before ``now - window``; return them."""
        times = self.times
        horizon = now - self.window
        if not times or times[0] > horizon:
            return []
        ids, accepted_at = self.ids, self.accepted_at
        forgotten = []
        while times and times[0] <= horizon:
            times.popleft()
            order_id = ids.popleft()
            del accepted_at[order_id]
            forgotten.append(order_id)
        self.next_expiry = times[0] + self.window if times else _NEVER
        return forgotten

    def items(self) -> list[tuple[str, Micros]]:
        """(id, accepted time) pairs, oldest first."""
        return list(zip(self.ids, self.times, strict=True))

    @classmethod
    def from_items(cls, window: Micros, items: dict[str, Micros]) -> "DedupWindow":
        """Rebuild a window from persisted (id -> accepted time) rows."""
        dedup = cls(window)
        for order_id, accepted in sorted(items.items(), key=lambda item: (item[1], item[0])):
            dedup.add(order_id, accepted)
        return dedup

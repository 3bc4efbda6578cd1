"""The per-symbol window of recently accepted order ids, bounded in time and count.

An id accepted at time t blocks a new order with the same id until t + window,
or until ``capacity`` later ids were accepted, whichever comes first: memory is
at most ``capacity`` ids per symbol whatever the order rate (at 1,000 orders/s a
24 h window alone would hold 86 million). Ids are exact (no hashing), so the
window never rejects an id it should not. They are kept in acceptance order (a
deque) so expiry pops from the front, reading each id's time from the dict: one
deque entry and one dict entry per id. ``expire`` reports what left so the
caller can persist deltas.
"""

from collections import deque
from typing import Final

from engine.clock import Micros

_NEVER: Final[Micros] = 2**63  # later than any engine time


class DedupWindow:
    """Order ids accepted within the last ``window`` microseconds."""

    __slots__ = ("accepted_at", "capacity", "ids", "next_expiry", "window")

    def __init__(self, window: Micros, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"the dedup window must hold at least one id, got {capacity}")
        self.window = window
        self.capacity = capacity
        self.accepted_at: dict[str, Micros] = {}
        self.ids: deque[str] = deque()  # acceptance order (times never decrease)
        self.next_expiry: Micros = _NEVER  # when the oldest id leaves; lets callers skip expire

    def admit(self, order_id: str, now: Micros) -> bool:
        """Hold ``order_id`` as accepted at ``now``; False, changing nothing, if it is held.

        The check and the insert are one hash lookup (``setdefault``): with a million
        ids held each lookup is a cache miss, the costliest step of a new order. Then,
        if more than ``capacity`` ids are held, call ``forget_oldest``.
        """
        accepted_at = self.accepted_at
        held = len(accepted_at)
        accepted_at.setdefault(order_id, now)
        if len(accepted_at) == held:
            return False
        ids = self.ids
        if not ids:
            self.next_expiry = now + self.window
        ids.append(order_id)
        return True

    def withdraw_newest(self) -> None:
        """Undo the latest ``admit``: its order was refused after all."""
        ids = self.ids
        del self.accepted_at[ids.pop()]
        if not ids:
            self.next_expiry = _NEVER

    def forget_oldest(self) -> str:
        """Forget the oldest id (one of more than ``capacity``); return it."""
        ids, accepted_at = self.ids, self.accepted_at
        oldest = ids.popleft()
        del accepted_at[oldest]
        self.next_expiry = accepted_at[ids[0]] + self.window
        return oldest

    def expire(self, now: Micros) -> list[str]:
        """Forget the ids accepted before ``now - window``; return them."""
        ids, accepted_at = self.ids, self.accepted_at
        horizon = now - self.window
        forgotten = []
        while ids and accepted_at[ids[0]] <= horizon:
            forgotten.append(ids[0])
            del accepted_at[ids.popleft()]
        self.next_expiry = accepted_at[ids[0]] + self.window if ids else _NEVER
        return forgotten

    def items(self) -> list[tuple[str, Micros]]:
        """(id, accepted time) pairs, oldest first."""
        accepted_at = self.accepted_at
        return [(order_id, accepted_at[order_id]) for order_id in self.ids]

    @classmethod
    def from_items(cls, window: Micros, capacity: int,
                   items: dict[str, Micros]) -> "DedupWindow":
        """Rebuild a window from persisted (id -> accepted time) rows."""
        dedup = cls(window, capacity)
        ordered = sorted(items.items(), key=lambda item: (item[1], item[0]))
        for order_id, accepted in ordered[-capacity:]:
            dedup.admit(order_id, accepted)  # the newest ``capacity`` ids: none to forget
        return dedup

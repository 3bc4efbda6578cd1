"""Per-symbol market configuration: tick size, lot size and the dedup window."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from engine.clock import MICROS_PER_SECOND, Micros

DEFAULT_TICK: Final = Decimal("0.01")
DEFAULT_LOT: Final = 1
DEFAULT_DEDUP_WINDOW: Final[Micros] = 24 * 3600 * MICROS_PER_SECOND
DEFAULT_DEDUP_IDS: Final = 1_000_000  # per symbol: about 145 MB at most (bench.memory: 144 B an id)


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """How prices and quantities of one symbol are gridded."""

    tick: Decimal = DEFAULT_TICK
    lot: int = DEFAULT_LOT

    def __post_init__(self) -> None:
        if not (self.tick.is_finite() and self.tick > 0):
            raise ValueError(f"tick size must be a positive decimal, got {self.tick}")
        if isinstance(self.lot, bool) or not isinstance(self.lot, int) or self.lot <= 0:
            raise ValueError(f"lot size must be a positive integer, got {self.lot!r}")


DEFAULT_SPEC: Final = SymbolSpec()


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Grid of every symbol (a default plus overrides) and the dedup window's bounds."""

    default: SymbolSpec = DEFAULT_SPEC
    symbols: dict[str, SymbolSpec] = field(default_factory=dict)
    dedup_window: Micros = DEFAULT_DEDUP_WINDOW
    dedup_ids: int = DEFAULT_DEDUP_IDS

    def spec_for(self, symbol: str) -> SymbolSpec:
        """The grid of ``symbol``: its override, else the default.

        Called for every message: most configs override nothing, and telling an empty
        dict is a fraction of the cost of a lookup in it.
        """
        if not self.symbols:
            return self.default
        return self.symbols.get(symbol, self.default)

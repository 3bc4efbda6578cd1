"""Prices: decimal strings or JSON numbers at the edge, integer ticks inside.

Nothing here ever touches a float: JSON numbers arrive as ``Decimal`` (see
``engine.parsing``) and ticks are plain integers.
"""

import re
from decimal import Decimal, InvalidOperation
from typing import Final

from engine.caches import keep
from engine.rejections import BAD_PRICE, OFF_TICK, Refused

MAX_DECIMALS: Final = 8
MAX_PRICE: Final = Decimal(10) ** 15
_SMALLEST_STEP: Final = Decimal(1).scaleb(-MAX_DECIMALS)
_FORMAT_CACHE: Final = 1 << 14
# The longest price text worth caching: 15 integer digits, a point and 8 decimals.
# Longer texts (padded with zeros) are valid but rare, and would make the cache's
# memory grow with the messages' size.
_CACHED_TEXT: Final = 24
_PRICE_TEXT: Final = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def to_decimal(value: object) -> Decimal:
    """Read a wire price (decimal string, JSON integer or Decimal) as a Decimal."""
    if isinstance(value, str):
        if not _PRICE_TEXT.fullmatch(value):
            raise Refused(BAD_PRICE, f"price {value!r} is not a decimal number")
        return Decimal(value)
    if isinstance(value, Decimal) or (isinstance(value, int) and not isinstance(value, bool)):
        return Decimal(value)
    raise Refused(BAD_PRICE, "price must be a decimal string or number")


def to_ticks(value: object, tick: Decimal) -> int:
    """Validate a wire price and convert it to a whole number of ``tick``.

    Price strings repeat a lot, so conversions of short ones are kept, per tick
    (the Decimal arithmetic is most of the cost; a plain dict lookup is several
    times cheaper than an ``lru_cache`` keyed by the pair); a refused price
    raises ``Refused`` and is not kept.
    """
    if type(value) is str and len(value) <= _CACHED_TEXT:
        known = _KNOWN_TICKS.get(tick)
        if known is None:
            known = _new_tick_table(tick)
        ticks = known.get(value)
        if ticks is None:
            ticks = keep(known, value, _to_ticks(value, tick), _FORMAT_CACHE)
        return ticks
    return _to_ticks(value, tick)


# Tick -> price text -> ticks: a table per tick size, each emptied when it reaches
# _FORMAT_CACHE prices; a config has a handful of tick sizes, _TICK_SIZES_KEPT at most.
_KNOWN_TICKS: Final[dict[Decimal, dict[str, int]]] = {}
_TICK_SIZES_KEPT: Final = 64


def _new_tick_table(tick: Decimal) -> dict[str, int]:
    """An empty table of ``tick``'s prices (all tables dropped first if there are too many)."""
    known: dict[str, int] = {}
    return keep(_KNOWN_TICKS, tick, known, _TICK_SIZES_KEPT)


def _to_ticks(value: object, tick: Decimal) -> int:
    price = to_decimal(value)
    if not price.is_finite():
        raise Refused(BAD_PRICE, "price is not a number the engine can represent")
    if price <= 0:
        raise Refused(BAD_PRICE, "price must be a positive number")
    if price >= MAX_PRICE:
        raise Refused(BAD_PRICE, f"price must be below {MAX_PRICE}")
    if price != price.quantize(_SMALLEST_STEP, rounding="ROUND_DOWN"):
        raise Refused(BAD_PRICE, f"price has more than {MAX_DECIMALS} decimal places")
    try:
        ticks = price / tick
    except InvalidOperation as error:  # pragma: no cover - guarded by the bounds above
        raise Refused(BAD_PRICE, "price cannot be represented") from error
    if ticks != ticks.to_integral_value():
        raise Refused(OFF_TICK, f"price {price} is not a multiple of the tick size {tick}")
    return int(ticks)


class PriceTexts(dict[int, str]):
    """Ticks -> the decimal string of the price, rendered on first use.

    The text keeps the tick's exponent, so with tick 0.01 the price 189 is
    ``"189.00"``: every price of a symbol has the same number of decimals.
    Prices repeat a lot (events, levels, snapshots), and a hit here is a plain
    dict lookup done in C (``texts[ticks]``, or ``texts.__getitem__`` as a
    function), several times cheaper than an ``lru_cache`` call. The dict is
    emptied when it reaches ``_FORMAT_CACHE`` prices, so it stays bounded.
    """

    __slots__ = ("quantum", "tick")

    def __init__(self, tick: Decimal) -> None:
        super().__init__()
        self.tick = tick
        self.quantum = Decimal(1).scaleb(min(_exponent(tick), 0))

    def __missing__(self, ticks: int) -> str:
        return keep(self, ticks, str((self.tick * ticks).quantize(self.quantum)), _FORMAT_CACHE)


def _exponent(tick: Decimal) -> int:
    exponent = tick.as_tuple().exponent
    assert isinstance(exponent, int)  # a tick is finite (SymbolSpec checks)
    return exponent

"""The engine against the naive reference book on long seeded random streams."""

import json

import pytest
from engine_testkit import NOW
from naive_book import NaiveBook
from order_streams import MixedStream

from engine import Engine, EngineConfig, NewOrder, Rejection, parse_command
from engine.events import TRADE

STREAM_LENGTH = 6_000


def normalised(events) -> list[tuple]:
    """Engine events in the naive book's tuple form."""
    out = []
    for event in events:
        if type(event) is Rejection:
            out.append(("rejected", event.order_id, event.reason))
        elif event[0] == TRADE:
            _, seq, price, quantity, buy, sell, aggressor_side = event
            out.append(("trade", seq, price, quantity, buy.order_id, sell.order_id,
                        aggressor_side))
        else:
            name, order, quantity, filled, remaining, reason = event[:6]
            out.append((name, order.order_id, quantity, filled, remaining, reason))
    return out


def levels(book, is_bid: bool) -> list[tuple[int, int]]:
    side = book.bids if is_bid else book.asks
    return [(level.price, level.total) for level in side]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_engine_matches_naive_book_on_random_streams(seed):
    engine = Engine()
    naive: dict[str, NaiveBook] = {}
    stream = MixedStream(seed, symbols=("AAPL", "MSFT"))
    for offset, message in enumerate(stream.messages(STREAM_LENGTH)):
        now = NOW + offset * 1_000_000
        command = parse_command(json.dumps(message), topic="orders", partition=0,
                                offset=offset, now=now)
        if isinstance(command, Rejection):
            continue
        book = engine.book(command.symbol)
        reference = naive.setdefault(command.symbol, NaiveBook(engine.config.dedup_window))
        got = normalised(book.apply(command, now).events)
        assert got == reference.apply(command, now), (offset, message)
        if isinstance(command, NewOrder) or offset % 97 == 0:
            assert levels(book, True) == reference.levels("buy"), offset
            assert levels(book, False) == reference.levels("sell"), offset


def test_dedup_window_expiry_matches_naive_book():
    window = 50 * 1_000_000
    engine = Engine(EngineConfig(dedup_window=window))
    reference = NaiveBook(window)
    stream = MixedStream(9)
    for offset, message in enumerate(stream.messages(2_000)):
        now = NOW + offset * 1_000_000
        command = parse_command(json.dumps(message), topic="orders", partition=0,
                                offset=offset, now=now)
        if not isinstance(command, Rejection):
            got = normalised(engine.book(command.symbol).apply(command, now).events)
            assert got == reference.apply(command, now), (offset, message)

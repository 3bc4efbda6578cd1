"""The feed hands each page only what it shows, coalesced, and ends streams on shutdown."""

from __future__ import annotations

import asyncio
import json

from web.feed import BACKLOG, MarketFeed
from web.stream import encode


def trade(seq: int, symbol: str = "AAPL", buyer: str = "alice", seller: str = "bob") -> dict:
    return {"trade_id": f"{symbol}-{seq}", "seq": seq, "symbol": symbol, "price": "1.00",
            "quantity": 1, "buy_user_id": buyer, "sell_user_id": seller}


def records(*items: tuple[str, dict]) -> list[tuple[str, bytes]]:
    return [(kind, json.dumps(value).encode()) for kind, value in items]


def test_a_page_gets_its_symbol_and_its_users_orders_and_fills() -> None:
    feed = MarketFeed()
    page = feed.subscribe("AAPL", "carol")
    feed.dispatch(records(
        ("depth", {"symbol": "AAPL", "seq": 1}), ("depth", {"symbol": "MSFT", "seq": 1}),
        ("depth", {"symbol": "AAPL", "seq": 2}),
        ("trades", trade(1)), ("trades", trade(1, "MSFT")),
        ("trades", trade(2, "MSFT", buyer="carol")),
        ("orders", {"event": "accepted", "user_id": "carol", "symbol": "MSFT"}),
        ("orders", {"event": "accepted", "user_id": "alice", "symbol": "AAPL"}),
    ))
    batch = asyncio.run(page.next_batch(0))
    assert batch.depth == {"symbol": "AAPL", "seq": 2}  # only the latest snapshot
    assert [t["trade_id"] for t in batch.trades] == ["AAPL-1", "MSFT-2"]
    assert [o["user_id"] for o in batch.orders] == ["carol"]
    assert not asyncio.run(page.next_batch(0))  # sent: nothing pending


def test_a_page_without_user_gets_no_order_events() -> None:
    feed = MarketFeed()
    page = feed.subscribe("AAPL", None)
    feed.dispatch(records(("orders", {"event": "rejected", "user_id": None, "symbol": None})))
    assert not asyncio.run(page.next_batch(0))


def test_recent_trades_are_newest_first_and_bounded_backlogs_drop_the_oldest() -> None:
    feed = MarketFeed()
    page = feed.subscribe("AAPL", None)
    feed.dispatch(records(*(("trades", trade(n)) for n in range(1, BACKLOG + 11))))
    assert [t["seq"] for t in feed.recent_trades("AAPL", 3)] == [BACKLOG + 10, BACKLOG + 9,
                                                                 BACKLOG + 8]
    assert feed.recent_trades("NONE", 3) == []
    batch = asyncio.run(page.next_batch(0))
    assert len(batch.trades) == BACKLOG and batch.trades[0]["seq"] == 11


def test_closing_ends_every_stream() -> None:
    feed = MarketFeed()
    page = feed.subscribe("AAPL", "alice")
    feed.close_subscriptions()
    assert asyncio.run(page.next_batch(60)) is None  # at once, not after the timeout


def test_frames_are_server_sent_events_with_the_depth_last() -> None:
    feed = MarketFeed()
    page = feed.subscribe("AAPL", "alice")
    feed.dispatch(records(("depth", {"symbol": "AAPL", "seq": 3}), ("trades", trade(7))))
    text = encode(asyncio.run(page.next_batch(0))).decode()
    frames = [f.split("\n") for f in text.split("\n\n") if f]
    assert [f[0] for f in frames] == ["event: trades", "event: depth"]
    assert json.loads(frames[0][1].removeprefix("data: "))[0]["seq"] == 7

"""Matching rules with textbook examples: priority, sweeps, time in force, STP."""

from engine_testkit import Session, depth, events, trades, values


def test_price_time_priority_and_resting_price(session: Session):
    session.order("s1", "bob", "sell", "101.00", 10)
    session.order("s2", "carol", "sell", "100.00", 10)
    session.order("s3", "dave", "sell", "100.00", 10)
    outputs = session.order("b1", "alice", "buy", "101.00", 25)
    assert trades(outputs) == [("100.00", 10, "b1", "s2"), ("100.00", 10, "b1", "s3"),
                               ("101.00", 5, "b1", "s1")]
    assert depth(session) == ([], [["101.00", 5]])


def test_sweep_stops_where_prices_no_longer_cross_and_remainder_rests(session: Session):
    session.order("s1", "bob", "sell", "100.00", 10)
    session.order("s2", "bob", "sell", "100.50", 10)
    outputs = session.order("b1", "alice", "buy", "100.20", 15)
    assert trades(outputs) == [("100.00", 10, "b1", "s1")]
    assert depth(session) == ([["100.20", 5]], [["100.50", 10]])


def test_publishing_order_of_a_fill(session: Session):
    session.order("s1", "bob", "sell", "100.00", 10)
    outputs = session.order("b1", "alice", "buy", "100.00", 4)
    assert [o.topic for o in outputs] == ["order-events", "trades", "order-events",
                                          "order-events", "market-data"]
    assert events(outputs) == [("accepted", "b1", 0, 4, None),
                               ("partially_filled", "s1", 4, 6, None),
                               ("filled", "b1", 4, 0, None)]
    trade = values(outputs, "trades")[0]
    assert trade["trade_id"] == "AAPL-1" and trade["aggressor_side"] == "buy"
    assert (trade["buy_user_id"], trade["sell_user_id"]) == ("alice", "bob")


def test_sell_aggressor_hits_best_bid_first(session: Session):
    session.order("b1", "bob", "buy", "99.00", 10)
    session.order("b2", "bob", "buy", "99.50", 10)
    outputs = session.order("s1", "alice", "sell", "98.00", 15)
    assert trades(outputs) == [("99.50", 10, "b2", "s1"), ("99.00", 5, "b1", "s1")]
    assert values(outputs, "trades")[0]["aggressor_side"] == "sell"


def test_ioc_remainder_expires(session: Session):
    session.order("s1", "bob", "sell", "100.00", 10)
    outputs = session.order("b1", "alice", "buy", "100.00", 15, tif="IOC")
    assert events(outputs)[-1] == ("expired", "b1", 10, 0, "ioc_remainder")
    assert depth(session) == ([], [])


def test_ioc_without_liquidity_expires_and_publishes_no_market_data(session: Session):
    outputs = session.order("b1", "alice", "buy", "100.00", 15, tif="IOC")
    assert events(outputs) == [("accepted", "b1", 0, 15, None),
                               ("expired", "b1", 0, 0, "ioc_remainder")]
    assert values(outputs, "market-data") == []


def test_fok_fills_completely_or_not_at_all(session: Session):
    session.order("s1", "bob", "sell", "100.00", 10)
    session.order("s2", "bob", "sell", "100.10", 10)
    outputs = session.order("b1", "alice", "buy", "100.10", 21, tif="FOK")
    assert trades(outputs) == []
    assert events(outputs)[-1] == ("expired", "b1", 0, 0, "fok_unfillable")
    outputs = session.order("b2", "alice", "buy", "100.10", 20, tif="FOK")
    assert [t[1] for t in trades(outputs)] == [10, 10]
    assert events(outputs)[-1] == ("filled", "b2", 20, 0, None)


def test_fok_does_not_count_the_users_own_liquidity(session: Session):
    session.order("s1", "bob", "sell", "100.00", 10)
    session.order("s2", "alice", "sell", "100.00", 10)
    session.order("s3", "carol", "sell", "100.00", 10)
    outputs = session.order("b1", "alice", "buy", "100.00", 15, tif="FOK")
    assert trades(outputs) == []
    assert events(outputs)[-1][-1] == "fok_unfillable"
    outputs = session.order("b2", "alice", "buy", "100.00", 10, tif="FOK")
    assert trades(outputs) == [("100.00", 10, "b2", "s1")]


def test_market_order_sweeps_any_price_and_expires_no_liquidity(session: Session):
    session.order("s1", "bob", "sell", "100.00", 10)
    session.order("s2", "bob", "sell", "250.00", 10)
    outputs = session.send(order_id="m1", user_id="alice", symbol="AAPL", side="buy",
                           type="market", quantity=30, tif="GTC")
    assert [t[:2] for t in trades(outputs)] == [("100.00", 10), ("250.00", 10)]
    assert events(outputs)[-1] == ("expired", "m1", 20, 0, "no_liquidity")
    accepted = values(outputs, "order-events")[0]
    assert accepted["price"] is None


def test_market_fok_is_honoured(session: Session):
    session.order("s1", "bob", "sell", "100.00", 10)
    outputs = session.send(order_id="m1", user_id="alice", symbol="AAPL", side="buy",
                           type="market", quantity=30, tif="FOK")
    assert trades(outputs) == []
    assert events(outputs)[-1][-1] == "fok_unfillable"


def test_self_trade_prevention_cancels_newest_and_keeps_earlier_fills(session: Session):
    session.order("s1", "bob", "sell", "100.00", 10)
    session.order("s2", "alice", "sell", "100.00", 10)
    session.order("s3", "carol", "sell", "100.00", 10)
    outputs = session.order("b1", "alice", "buy", "100.00", 25)
    assert trades(outputs) == [("100.00", 10, "b1", "s1")]
    assert events(outputs)[-1] == ("expired", "b1", 10, 0, "self_trade")
    assert depth(session) == ([], [["100.00", 20]])
    assert "b1" not in session.book().orders


def test_self_trade_outranks_ioc_and_market_reasons(session: Session):
    session.order("s1", "alice", "sell", "100.00", 10)
    ioc = session.order("b1", "alice", "buy", "100.00", 5, tif="IOC")
    market = session.send(order_id="b2", user_id="alice", symbol="AAPL", side="buy",
                          type="market", quantity=5)
    assert events(ioc)[-1][-1] == "self_trade"
    assert events(market)[-1][-1] == "self_trade"


def test_trade_sequence_is_per_symbol_and_gapless(session: Session):
    session.order("s1", "bob", "sell", "100.00", 10)
    session.send(order_id="s1", user_id="bob", symbol="MSFT", side="sell", price="50",
                 quantity=10)
    first = session.order("b1", "alice", "buy", "100.00", 5)
    msft = session.send(order_id="b1", user_id="alice", symbol="MSFT", side="buy",
                        price="50", quantity=10)
    second = session.order("b2", "alice", "buy", "100.00", 5)
    assert [v["trade_id"] for v in values(first + second, "trades")] == ["AAPL-1", "AAPL-2"]
    assert [v["trade_id"] for v in values(msft, "trades")] == ["MSFT-1"]


def test_market_data_snapshot_after_each_change(session: Session):
    outputs = session.order("b1", "bob", "buy", "99.00", 10)
    session.order("b2", "bob", "buy", "99.00", 5)
    outputs = session.order("s1", "carol", "sell", "101.00", 7)
    (snapshot,) = values(outputs, "market-data")
    assert outputs[-1].topic == "market-data" and outputs[-1].key == "AAPL"
    assert snapshot["best_bid"] == ["99.00", 15] and snapshot["best_ask"] == ["101.00", 7]
    assert snapshot["seq"] == 3 and snapshot["last_trade"] is None


def test_snapshot_holds_ten_levels_per_side(session: Session):
    for i in range(12):
        session.order(f"b{i}", "bob", "buy", f"{90 + i}.00", 1)
    snapshot = session.book().snapshot(session.now)
    assert [p for p, _ in snapshot["bids"]] == [f"{101 - i}.00" for i in range(10)]

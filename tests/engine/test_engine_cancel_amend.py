"""Cancel and amend: lookups, ownership and the time-priority rules of amend."""

from engine_testkit import Session, depth, events, reason, trades, values


def cancel(session: Session, order_id: str, user_id: str, symbol: str = "AAPL"):
    return session.send(action="cancel", order_id=order_id, user_id=user_id, symbol=symbol)


def amend(session: Session, order_id: str, user_id: str, quantity, price=None):
    message = {"action": "amend", "order_id": order_id, "user_id": user_id, "symbol": "AAPL",
               "quantity": quantity}
    if price is not None:
        message["price"] = price
    return session.send(message)


def queue(session: Session, price: str, side: str = "sell") -> list[str]:
    book = session.book()
    level = (book.asks if side == "sell" else book.bids).levels[int(price.replace(".", ""))]
    return [order.order_id for order in level]


def test_cancel_removes_a_resting_order(session: Session):
    session.order("s1", "bob", "sell", "100.00", 10)
    session.order("b1", "alice", "buy", "100.00", 4)
    outputs = cancel(session, "s1", "bob")
    assert events(outputs) == [("cancelled", "s1", 4, 0, None)]
    assert depth(session) == ([], [])
    assert values(outputs, "market-data")[0]["asks"] == []


def test_cancel_of_unknown_foreign_or_other_symbol_order_is_rejected(session: Session):
    session.order("s1", "bob", "sell", "100.00", 10)
    assert reason(cancel(session, "nope", "bob")) == "unknown_order"
    assert reason(cancel(session, "s1", "alice")) == "not_owner"
    assert reason(cancel(session, "s1", "bob", symbol="MSFT")) == "unknown_order"
    session.order("b1", "alice", "buy", "100.00", 10)
    assert reason(cancel(session, "s1", "bob")) == "unknown_order"


def test_amend_quantity_down_keeps_priority(session: Session):
    session.order("s1", "bob", "sell", "100.00", 10)
    session.order("s2", "carol", "sell", "100.00", 10)
    outputs = amend(session, "s1", "bob", 6)
    assert events(outputs) == [("amended", "s1", 0, 6, None)]
    assert values(outputs, "order-events")[0]["quantity"] == 6
    assert queue(session, "100.00") == ["s1", "s2"]
    assert depth(session)[1] == [["100.00", 16]]


def test_amend_quantity_up_or_price_change_goes_to_the_back(session: Session):
    session.order("s1", "bob", "sell", "100.00", 10)
    session.order("s2", "carol", "sell", "100.00", 10)
    amend(session, "s1", "bob", 12)
    assert queue(session, "100.00") == ["s2", "s1"]
    amend(session, "s2", "carol", 10, "100.01")
    amend(session, "s2", "carol", 10, "100.00")
    assert queue(session, "100.00") == ["s1", "s2"]


def test_amend_to_same_price_and_quantity_changes_nothing(session: Session):
    session.order("s1", "bob", "sell", "100.00", 10)
    session.order("s2", "carol", "sell", "100.00", 10)
    before = session.book().state_hash()
    outputs = amend(session, "s1", "bob", 10, "100.000")
    assert events(outputs) == [("amended", "s1", 0, 10, None)]
    assert values(outputs, "market-data") == []
    assert session.book().state_hash() == before


def test_amended_original_quantity_is_filled_plus_new_remaining(session: Session):
    session.order("s1", "bob", "sell", "100.00", 10)
    session.order("b1", "alice", "buy", "100.00", 4)
    (value,) = values(amend(session, "s1", "bob", 20), "order-events")
    assert (value["quantity"], value["filled_quantity"], value["remaining_quantity"]) == (
        24, 4, 20)


def test_amend_that_crosses_trades_as_aggressor(session: Session):
    session.order("s1", "bob", "sell", "101.00", 10)
    session.order("b1", "alice", "buy", "100.00", 10)
    outputs = amend(session, "b1", "alice", 10, "101.00")
    assert trades(outputs) == [("101.00", 10, "b1", "s1")]
    assert values(outputs, "trades")[0]["aggressor_side"] == "buy"
    assert events(outputs)[-1] == ("filled", "b1", 10, 0, None)
    assert depth(session) == ([], [])


def test_amend_that_would_self_trade_expires(session: Session):
    session.order("s1", "alice", "sell", "101.00", 10)
    session.order("b1", "alice", "buy", "100.00", 10)
    outputs = amend(session, "b1", "alice", 10, "101.00")
    assert events(outputs)[-1] == ("expired", "b1", 0, 0, "self_trade")
    assert depth(session) == ([], [["101.00", 10]])


def test_amend_of_unknown_or_foreign_order_is_rejected(session: Session):
    session.order("s1", "bob", "sell", "100.00", 10)
    assert reason(amend(session, "x", "bob", 5)) == "unknown_order"
    assert reason(amend(session, "s1", "alice", 5)) == "not_owner"

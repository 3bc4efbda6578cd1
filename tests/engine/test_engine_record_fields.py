"""The order-event fields the Cassandra records need: tif, priority stamp, acceptance, old key."""

from engine_testkit import NOW, Session, values

from engine import OrderBook
from engine.clock import format_iso


def order_events(outputs) -> list[dict]:
    return values(outputs, "order-events")


def test_events_carry_tif_priority_and_acceptance_time(session: Session):
    session.order("s1", "bob", "sell", "100.00", 10, now=NOW)
    (accepted, partial, filled) = order_events(
        session.order("b1", "alice", "buy", "100.00", 4, tif="IOC", now=NOW + 5))
    assert (accepted["tif"], accepted["priority_seq"]) == ("IOC", 2)
    assert partial["order_id"] == "s1"
    assert (partial["tif"], partial["priority_seq"]) == ("GTC", 1)
    assert partial["accepted_ts"] == format_iso(NOW) != partial["ts"]
    assert filled["accepted_ts"] == filled["ts"] == format_iso(NOW + 5)


def test_rejections_carry_no_book_fields(session: Session):
    (rejected,) = order_events(session.send(action="cancel", order_id="x", user_id="u",
                                            symbol="AAPL"))
    assert rejected["event"] == "rejected"
    assert (rejected["tif"], rejected["priority_seq"], rejected["accepted_ts"]) == (None,) * 3


def test_amend_reports_the_book_key_it_left(session: Session):
    session.order("s1", "bob", "sell", "100.00", 10, now=NOW)
    session.order("s2", "bob", "sell", "101.00", 10)
    amend = {"action": "amend", "order_id": "s1", "user_id": "bob", "symbol": "AAPL"}
    (kept,) = order_events(session.send({**amend, "quantity": 5}))
    (moved,) = order_events(session.send({**amend, "quantity": 5, "price": "100.50"}))
    assert (kept["previous_price"], kept["previous_priority_seq"]) == ("100.00", 1)
    assert kept["priority_seq"] == 1
    assert (moved["previous_price"], moved["previous_priority_seq"]) == ("100.00", 1)
    assert (moved["price"], moved["priority_seq"]) == ("100.50", 3)
    assert moved["accepted_ts"] == format_iso(NOW)


def test_acceptance_time_survives_a_rebuild_from_rows(session: Session):
    session.order("s1", "bob", "sell", "100.00", 10, now=NOW)
    book = session.book()
    rows = book.to_rows()
    rebuilt = OrderBook.from_rows("AAPL", rows.orders, rows.seen, rows.meta)
    assert rebuilt.orders["s1"].accepted_at == NOW
    assert rebuilt.state_hash() == book.state_hash()

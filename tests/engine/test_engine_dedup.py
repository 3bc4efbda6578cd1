"""Duplicate order ids: resting ids, the dedup window, per-symbol scope."""

import json

from engine_testkit import NOW, Session, events, reason

from engine import EngineConfig, NewOrder, OrderBook

HOUR = 3600 * 1_000_000


def test_resting_id_is_a_duplicate_and_changes_nothing(session: Session):
    session.order("o1", "bob", "sell", "100.00", 10)
    before = session.book().state_hash()
    assert reason(session.order("o1", "bob", "sell", "100.00", 10)) == "duplicate_order_id"
    assert session.book().state_hash() == before


def test_id_accepted_within_the_window_is_a_duplicate_even_after_it_left(session: Session):
    session.order("o1", "bob", "sell", "100.00", 10, tif="IOC")
    outputs = session.order("o1", "bob", "sell", "100.00", 10, now=NOW + 23 * HOUR)
    assert reason(outputs) == "duplicate_order_id"
    outputs = session.order("o1", "bob", "sell", "100.00", 10, now=NOW + 25 * HOUR)
    assert events(outputs)[0][0] == "accepted"


def test_window_is_configurable():
    session = Session(EngineConfig(dedup_window=HOUR))
    session.order("o1", "bob", "sell", "100.00", 10, tif="IOC")
    outputs = session.order("o1", "bob", "sell", "100.00", 10, now=NOW + 2 * HOUR)
    assert events(outputs)[0][0] == "accepted"


def test_rejected_message_does_not_use_up_its_id(session: Session):
    assert reason(session.order("o1", "bob", "sell", "100.001", 10)) == "off_tick"
    assert events(session.order("o1", "bob", "sell", "100.00", 10))[0][0] == "accepted"


def test_ids_are_unique_per_symbol(session: Session):
    session.order("o1", "bob", "sell", "100.00", 10)
    outputs = session.send(order_id="o1", user_id="bob", symbol="MSFT", side="sell",
                           price="1", quantity=1)
    assert events(outputs)[0][0] == "accepted"


def test_default_ids_make_a_replayed_offset_a_duplicate(session: Session):
    raw = json.dumps({"user_id": "bob", "symbol": "AAPL", "side": "sell", "price": "1",
                      "quantity": 1})
    first = session.engine.process(raw, offset=5, now=NOW)
    again = session.engine.process(raw, offset=5, now=NOW + 1)
    assert first[0].value["order_id"] == "orders-0-5"
    assert reason(again) == "duplicate_order_id"


def test_window_holds_at_most_its_count_of_ids_per_symbol():
    session = Session(EngineConfig(dedup_ids=3))
    for n in range(4):
        session.order(f"o{n}", "bob", "sell", "100.00", 10, tif="IOC")
    assert reason(session.order("o1", "bob", "sell", "100.00", 10, tif="IOC")) == \
        "duplicate_order_id"
    outputs = session.order("o0", "bob", "sell", "100.00", 10, tif="IOC")
    assert events(outputs)[0][0] == "accepted"  # o0 was the oldest of four: forgotten
    assert len(session.book().dedup.accepted_at) == 3


def test_ids_forgotten_for_the_count_are_in_the_delta_and_rebuilds_keep_the_newest():
    book = OrderBook("AAPL", dedup_ids=2)
    for n in range(3):
        result = book.apply(NewOrder(f"o{n}", "bob", "AAPL", "sell", "limit", "IOC", 10_000, 1),
                            NOW + n)
    assert result.delta().forgotten == ["o0"] and result.delta().seen == {"o2": NOW + 2}
    rows = book.to_rows()
    rebuilt = OrderBook.from_rows("AAPL", rows.orders, {**rows.seen, "old": NOW - 1},
                                  rows.meta, dedup_ids=2)
    assert rebuilt.state_hash() == book.state_hash()


def test_a_resting_id_stays_a_duplicate_whatever_the_window_forgot():
    session = Session(EngineConfig(dedup_ids=1))
    session.order("rest", "bob", "sell", "100.00", 10)
    session.order("other", "bob", "sell", "100.00", 10, tif="IOC")
    assert reason(session.order("rest", "bob", "sell", "100.00", 10)) == "duplicate_order_id"
    dedup = session.book().dedup  # the refusal left the window as it was
    assert dedup.items() == [("other", NOW + 2)] and list(dedup.ids) == ["other"]

"""Changelog rows: deltas, rebuild from rows and the state hash."""

import json

import pytest
from engine_testkit import NOW, Session

from engine import NewOrder, OrderBook, StateDelta


class Tables:
    """A stand-in for the Faust tables: rows written only from deltas."""

    def __init__(self) -> None:
        self.orders: dict[str, dict] = {}
        self.seen: dict[str, int] = {}
        self.meta: dict = {}

    def write(self, delta: StateDelta) -> None:
        json.dumps([delta.upserted, delta.seen, delta.meta])  # every part is JSON-able
        self.orders.update(delta.upserted)
        for order_id in delta.deleted:
            del self.orders[order_id]
        self.seen.update(delta.seen)
        for order_id in delta.forgotten:
            del self.seen[order_id]
        self.meta = delta.meta

    def rebuild(self, symbol: str = "AAPL") -> OrderBook:
        return OrderBook.from_rows(symbol, self.orders.values(), self.seen, self.meta)


def scripted_book(tables: Tables | None = None) -> OrderBook:
    book = OrderBook("AAPL")
    commands = [
        NewOrder("s1", "bob", "AAPL", "sell", "limit", "GTC", 10000, 10),
        NewOrder("s2", "carol", "AAPL", "sell", "limit", "GTC", 10000, 10),
        NewOrder("s3", "bob", "AAPL", "sell", "limit", "GTC", 10100, 5),
        NewOrder("b1", "alice", "AAPL", "buy", "limit", "GTC", 10000, 15),
        NewOrder("b2", "alice", "AAPL", "buy", "limit", "GTC", 9900, 7, "t-1"),
        NewOrder("b3", "dave", "AAPL", "buy", "limit", "IOC", 9000, 7),
    ]
    for offset, command in enumerate(commands):
        result = book.apply(command, NOW + offset)
        if tables is not None:
            tables.write(result.delta())
    return book


def test_rows_rebuild_an_identical_book():
    book = scripted_book()
    rows = book.to_rows()
    rebuilt = OrderBook.from_rows("AAPL", rows.orders, rows.seen, rows.meta)
    assert rebuilt.state_hash() == book.state_hash()
    assert rebuilt.snapshot(NOW) == book.snapshot(NOW)
    assert json.loads(json.dumps(rows.orders)) == rows.orders


def test_rows_carry_arrival_numbers_not_clock_time():
    rows = scripted_book().to_rows()
    assert [(r["order_id"], r["remaining"], r["arrival"]) for r in rows.orders] == [
        ("b2", 7, 5), ("s2", 5, 2), ("s3", 5, 3)]
    assert rows.meta["trade_seq"] == 2 and rows.meta["arrival_seq"] == 6


def test_deltas_alone_rebuild_the_book():
    tables = Tables()
    book = scripted_book(tables)
    assert tables.rebuild().state_hash() == book.state_hash()
    assert set(tables.seen) == {"s1", "s2", "s3", "b1", "b2", "b3"}


def test_delta_names_only_changed_rows():
    book = OrderBook("AAPL")
    book.apply(NewOrder("s1", "bob", "AAPL", "sell", "limit", "GTC", 10000, 10), NOW)
    book.apply(NewOrder("s2", "bob", "AAPL", "sell", "limit", "GTC", 10000, 10), NOW)
    delta = book.apply(NewOrder("b1", "al", "AAPL", "buy", "limit", "GTC", 10000, 12),
                       NOW).delta()
    assert delta.deleted == ["s1"]
    assert list(delta.upserted) == ["s2"] and delta.upserted["s2"]["remaining"] == 8
    assert delta.seen == {"b1": NOW}


def test_delta_after_another_command_is_refused():
    book = OrderBook("AAPL")
    result = book.apply(NewOrder("s1", "bob", "AAPL", "sell", "limit", "GTC", 1, 1), NOW)
    book.apply(NewOrder("s2", "bob", "AAPL", "sell", "limit", "GTC", 1, 1), NOW)
    with pytest.raises(RuntimeError):
        result.delta()


def test_dedup_expiry_is_reported_as_forgotten_ids():
    tables = Tables()
    book = OrderBook("AAPL", dedup_window=10)
    tables.write(book.apply(NewOrder("a", "u", "AAPL", "buy", "limit", "IOC", 1, 1), 0).delta())
    delta = book.apply(NewOrder("b", "u", "AAPL", "buy", "limit", "IOC", 1, 1), 10).delta()
    assert delta.forgotten == ["a"] and delta.seen == {"b": 10}


def test_engine_books_survive_a_rebuild_with_the_same_future(session: Session):
    session.order("s1", "bob", "sell", "100.00", 10)
    session.order("s2", "carol", "sell", "100.00", 10)
    book = session.book()
    rows = book.to_rows()
    other = Session()
    other.engine.books["AAPL"] = OrderBook.from_rows("AAPL", rows.orders, rows.seen, rows.meta)
    other.offset, other.now = session.offset, session.now
    message = {"order_id": "b1", "user_id": "al", "symbol": "AAPL", "side": "buy",
               "price": "100.00", "quantity": 15}
    assert session.send(message) == other.send(message)

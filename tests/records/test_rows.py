"""Row mapping: each output alone gives its writes, stamped by its position."""

from __future__ import annotations

import json
from decimal import Decimal

from engine import ORDER_EVENTS, TRADES, Engine, parse_iso
from records.rows import (
    DELETE_ACTIVE,
    INSERT_COMPLETED,
    INSERT_TRADE,
    TIMESTAMP_BASE,
    UPSERT_ACTIVE,
    Position,
    order_event_writes,
    trade_writes,
)

NOW = parse_iso("2026-11-25T15:00:00Z")


def writes_of(*messages: dict) -> list[tuple[str, str, tuple]]:
    """(event or 'trade', statement, values) of every write, outputs numbered from offset 0."""
    engine, out, offset = Engine(), [], 0
    for n, message in enumerate(messages):
        for output in engine.process(json.dumps(message), offset=n, now=NOW + n):
            position = Position(output.topic, 0, offset)
            offset += 1
            if output.topic == TRADES:
                out += [("trade", w.statement, w.values) for w in
                        trade_writes(output.value, position)]
            elif output.topic == ORDER_EVENTS:
                out += [(output.value["event"], w.statement, w.values) for w in
                        order_event_writes(output.value, position)]
    return out


def order(order_id: str, user: str, side: str, price: str, quantity: int, **extra) -> dict:
    return {"order_id": order_id, "user_id": user, "symbol": "AAPL", "side": side,
            "price": price, "quantity": quantity, **extra}


def test_a_resting_order_is_upserted_then_deleted_by_its_full_key_and_completed():
    writes = writes_of(order("s1", "bob", "sell", "100.00", 10),
                       order("b1", "amy", "buy", "100.00", 10))
    s1 = [w for w in writes if "s1" in w[2]]
    assert [(event, statement) for event, statement, _ in s1] == [
        ("accepted", UPSERT_ACTIVE), ("trade", INSERT_TRADE), ("filled", DELETE_ACTIVE),
        ("filled", INSERT_COMPLETED)]
    upsert, delete = s1[0][2], s1[2][2]
    key = ("AAPL", "sell", Decimal("100.00"), 1, "s1")
    assert upsert[:5] == key and delete[1:] == key
    completed = s1[3][2]
    assert completed[10:12] == ("filled", None)  # status, reason


def test_bids_are_keyed_by_their_negated_price():
    ((_, _, values),) = writes_of(order("b1", "amy", "buy", "100.25", 10))
    assert values[2] == Decimal("-100.25") and values[8] == Decimal("100.25")


def test_orders_that_never_rest_write_no_active_row():
    writes = writes_of(order("s1", "bob", "sell", "100.00", 5),
                       order("i1", "amy", "buy", "100.00", 8, tif="IOC"),
                       order("m1", "cy", "buy", "0", 3, type="market"))
    assert [w[:2] for w in writes if "i1" in w[2] or "m1" in w[2]] == [
        ("trade", INSERT_TRADE),
        ("expired", INSERT_COMPLETED), ("expired", INSERT_COMPLETED)]


def test_an_amend_that_loses_priority_deletes_the_key_it_left():
    writes = writes_of(order("s1", "bob", "sell", "100.00", 10),
                       {"action": "amend", "order_id": "s1", "user_id": "bob",
                        "symbol": "AAPL", "quantity": 10, "price": "100.50"})
    (delete,) = [w for w in writes if w[1] == DELETE_ACTIVE]
    (upsert,) = [w for w in writes if w[0] == "amended" and w[1] == UPSERT_ACTIVE]
    assert delete[2][1:] == ("AAPL", "sell", Decimal("100.00"), 1, "s1")
    assert upsert[2][:5] == ("AAPL", "sell", Decimal("100.50"), 2, "s1")


def test_later_positions_win_and_rejections_rank_below_every_real_state():
    late_rejection = order_event_writes(
        {"event": "rejected", "order_id": "s1", "symbol": "AAPL", "user_id": "bob",
         "side": "sell", "price": "1e2", "quantity": 5, "reason": "bad_price",
         "detail": "", "timestamp": None, "ts": "2026-11-25T15:00:00Z", "tif": None,
         "priority_seq": None, "accepted_ts": None}, Position(ORDER_EVENTS, 0, 10**9))
    ((_, _, early),) = [w for w in writes_of(order("s1", "bob", "sell", "100.00", 1))]
    assert early[-1] == TIMESTAMP_BASE + 0
    assert late_rejection[0].values[-1] < early[-1]


def test_refusals_of_commands_naming_an_order_in_use_write_nothing():
    writes = writes_of(order("s1", "bob", "sell", "100.00", 10),
                       order("s1", "bob", "sell", "100.00", 10),
                       {"action": "cancel", "order_id": "s1", "user_id": "eve", "symbol": "AAPL"},
                       {"action": "cancel", "order_id": "zz", "user_id": "eve", "symbol": "AAPL"})
    assert [w[0] for w in writes] == ["accepted"]


def test_an_invalid_message_is_a_rejected_order():
    ((event, statement, values),) = writes_of(order("x1", "bob", "sell", "1.001", 10))
    assert (event, statement) == ("rejected", INSERT_COMPLETED)
    assert values[:2] == ("x1", "AAPL") and values[10:12] == ("rejected", "off_tick")

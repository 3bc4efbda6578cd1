"""The page's field errors come from the engine's own validator, one per bad field."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from engine import EngineConfig, NewOrder, Rejection, SymbolSpec, parse_command
from web.validation import MESSAGE, check_order

CONFIG = EngineConfig()
GOOD = {"user_id": "alice", "symbol": "aapl", "side": "buy", "price": "189.25",
        "quantity": 100}


def check(**fields):
    return check_order(json.dumps({**GOOD, **fields}).encode(), CONFIG)


def test_a_valid_order_gives_the_engine_command() -> None:
    checked = check()
    assert checked.errors == {}
    assert isinstance(checked.command, NewOrder) and checked.command.symbol == "AAPL"
    assert not checked.has_id
    assert check(order_id="c-1").has_id


@pytest.mark.parametrize(("fields", "field"), [
    ({"user_id": ""}, "user_id"),
    ({"order_id": "has space"}, "order_id"),
    ({"symbol": "1BAD"}, "symbol"),
    ({"side": "hold"}, "side"),
    ({"type": "stop"}, "type"),
    ({"tif": "DAY"}, "tif"),
    ({"price": "abc"}, "price"),
    ({"price": "189.255"}, "price"),
    ({"quantity": "100"}, "quantity"),
    ({"action": "replace"}, "action"),
])
def test_each_bad_field_shows_the_engines_own_detail(fields, field) -> None:
    raw = json.dumps({**GOOD, **fields})
    engine = parse_command(raw, topic="t", partition=0, offset=0, now=0, config=CONFIG)
    assert isinstance(engine, Rejection)
    checked = check(**fields)
    assert checked.command is None
    assert checked.errors == {field: engine.detail}


def test_every_bad_field_is_reported_at_once() -> None:
    checked = check(user_id="", symbol="a b", side="x", price="-1", quantity=1.5)
    assert set(checked.errors) == {"user_id", "symbol", "side", "price", "quantity"}


def test_stand_ins_follow_the_symbols_grid() -> None:
    """A bad side must not hide an off-lot quantity on a symbol with its own grid."""
    config = EngineConfig(symbols={"BRK.A": SymbolSpec(tick=Decimal("0.05"), lot=10)})
    raw = json.dumps({**GOOD, "symbol": "BRK.A", "side": "x", "price": "1.07", "quantity": 15})
    assert set(check_order(raw.encode(), config).errors) == {"side", "price", "quantity"}


def test_cancel_needs_no_side_or_price() -> None:
    raw = {"action": "cancel", "order_id": "c-1", "user_id": "alice", "symbol": "AAPL"}
    assert check_order(json.dumps(raw).encode(), CONFIG).errors == {}


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b"\xff", b'{"price": NaN}'])
def test_a_body_that_is_no_json_object_is_one_message_error(raw: bytes) -> None:
    checked = check_order(raw, CONFIG)
    assert checked.command is None and list(checked.errors) == [MESSAGE]

"""Validation: reason codes, their order and the contract's fine points."""

import json
import tracemalloc
from decimal import Decimal

import pytest
from engine_testkit import Session, reason, values
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import (
    AmendOrder,
    CancelOrder,
    Command,
    EngineConfig,
    NewOrder,
    Rejection,
    SymbolSpec,
    parse_command,
)
from engine.parsing import _decode, _decode_exactly

GOOD = {"action": "new", "order_id": "c-1001", "user_id": "alice", "symbol": "AAPL",
        "side": "buy", "type": "limit", "price": "189.25", "quantity": 100, "tif": "GTC"}


def parse(message: str | bytes | dict, config: EngineConfig | None = None,
          offset: int = 7) -> Command | Rejection:
    raw = message if isinstance(message, str | bytes) else json.dumps(message)
    return parse_command(raw, topic="orders", partition=3, offset=offset, now=0,
                         config=config or EngineConfig())


def rejected_for(message, config: EngineConfig | None = None) -> str:
    result = parse(message, config)
    assert isinstance(result, Rejection), result
    return result.reason


def test_textbook_limit_order_is_parsed_to_ticks():
    assert parse(GOOD) == NewOrder("c-1001", "alice", "AAPL", "buy", "limit", "GTC", 18925, 100)


@pytest.mark.parametrize("raw", [b"\xff\xfe", "not json", "", "{", "NaN", '{"price": NaN}',
                                 "[" * 100_000])
def test_undecodable_messages_are_invalid_json(raw):
    assert rejected_for(raw) == "invalid_json"


@pytest.mark.parametrize("raw", ["[]", "1", '"x"', "null", "true"])
def test_valid_json_that_is_not_an_object_is_invalid_json(raw):
    assert rejected_for(raw) == "invalid_json"


@pytest.mark.parametrize(("change", "code"), [
    ({"action": "buy"}, "unknown_action"),
    ({"action": 1}, "unknown_action"),
    ({"order_id": "has space"}, "invalid_field"),
    ({"order_id": "x" * 65}, "invalid_field"),
    ({"order_id": 12}, "invalid_field"),
    ({"user_id": None}, "invalid_field"),
    ({"user_id": ""}, "invalid_field"),
    ({"user_id": "u" * 65}, "invalid_field"),
    ({"symbol": None}, "bad_symbol"),
    ({"symbol": "1ABC"}, "bad_symbol"),
    ({"symbol": "ABCDEFGHIJKLM"}, "bad_symbol"),
    ({"side": "hold"}, "bad_side"),
    ({"side": None}, "bad_side"),
    ({"type": "stop"}, "bad_type"),
    ({"tif": "DAY"}, "bad_tif"),
    ({"price": None}, "bad_price"),
    ({"price": "0"}, "bad_price"),
    ({"price": "-1.00"}, "bad_price"),
    ({"price": "abc"}, "bad_price"),
    ({"price": "1e3"}, "bad_price"),
    ({"price": True}, "bad_price"),
    ({"price": "189.123456789"}, "bad_price"),
    ({"price": "189.255"}, "off_tick"),
    ({"price": "189.12345678"}, "off_tick"),
    ({"quantity": 0}, "bad_quantity"),
    ({"quantity": -5}, "bad_quantity"),
    ({"quantity": 1.5}, "bad_quantity"),
    ({"quantity": "100"}, "bad_quantity"),
    ({"quantity": True}, "bad_quantity"),
    ({"quantity": 1_000_000_001}, "bad_quantity"),
    ({"quantity": 100.0}, "bad_quantity"),
])
def test_each_bad_field_has_its_reason(change, code):
    assert rejected_for({**GOOD, **change}) == code


def test_missing_fields():
    for name, code in [("order_id", None), ("user_id", "invalid_field"),
                       ("symbol", "bad_symbol"), ("side", "bad_side"), ("price", "bad_price"),
                       ("quantity", "bad_quantity")]:
        message = {k: v for k, v in GOOD.items() if k != name}
        result = parse(message)
        if code is None:
            assert isinstance(result, NewOrder)
        else:
            assert result.reason == code, name


def test_first_failing_check_in_contract_order_wins():
    everything_wrong = {"action": "new", "order_id": "bad id", "user_id": "", "symbol": "1",
                        "side": "x", "type": "x", "tif": "x", "price": "x", "quantity": "x"}
    order = ["order_id", "user_id", "symbol", "side", "type", "tif", "price", "quantity"]
    codes = ["invalid_field", "invalid_field", "bad_symbol", "bad_side", "bad_type", "bad_tif",
             "bad_price", "bad_quantity"]
    message = dict(everything_wrong)
    for name, code in zip(order, codes, strict=True):
        assert rejected_for(message) == code, name
        message[name] = GOOD[name]
    assert isinstance(parse(message), NewOrder)


def test_json_number_price_is_exact_decimal():
    assert parse('{"user_id": "u", "symbol": "AAPL", "side": "buy", "price": 189.25, '
                 '"quantity": 1}').price == 18925
    assert parse({**GOOD, "price": 190}).price == 19000
    assert rejected_for('{"user_id": "u", "symbol": "AAPL", "side": "buy", '
                        '"price": 189.123456789, "quantity": 1}') == "bad_price"


def test_enumerations_are_case_insensitive_and_symbol_is_upper_cased():
    command = parse({**GOOD, "action": "NEW", "side": "Sell", "type": "LIMIT", "tif": "ioc",
                     "symbol": "aapl"})
    assert (command.side, command.type, command.tif, command.symbol) == (
        "sell", "limit", "IOC", "AAPL")


def test_defaults_limit_gtc_and_topic_partition_offset_id():
    command = parse({"user_id": "u", "symbol": "AAPL", "side": "buy", "price": "1",
                     "quantity": 1}, offset=1017)
    assert (command.order_id, command.type, command.tif) == ("orders-3-1017", "limit", "GTC")


def test_market_order_ignores_price_and_keeps_tif():
    command = parse({**GOOD, "type": "market", "price": "garbage", "tif": "FOK"})
    assert (command.type, command.price, command.tif) == ("market", None, "FOK")


def test_cancel_and_amend_need_an_order_id():
    assert rejected_for({"action": "cancel", "user_id": "u", "symbol": "AAPL"}) == \
        "invalid_field"
    assert rejected_for({"action": "amend", "user_id": "u", "symbol": "AAPL",
                         "quantity": 5}) == "invalid_field"


def test_cancel_and_amend_are_parsed():
    assert parse({"action": "cancel", "order_id": "a", "user_id": "u", "symbol": "AAPL",
                  "quantity": "ignored"}) == CancelOrder("a", "u", "AAPL")
    assert parse({"action": "amend", "order_id": "a", "user_id": "u", "symbol": "AAPL",
                  "quantity": 60, "price": "189.20"}) == AmendOrder("a", "u", "AAPL", 60, 18920)
    assert parse({"action": "amend", "order_id": "a", "user_id": "u", "symbol": "AAPL",
                  "quantity": 60}) == AmendOrder("a", "u", "AAPL", 60, None)


@pytest.mark.parametrize(("change", "code"), [
    ({}, "bad_quantity"), ({"quantity": 0}, "bad_quantity"), ({"quantity": 5, "price": "1.001"},
                                                              "off_tick"),
    ({"quantity": "x", "price": "x"}, "bad_price"),
])
def test_amend_validation(change, code):
    message = {"action": "amend", "order_id": "a", "user_id": "u", "symbol": "AAPL", **change}
    assert rejected_for(message) == code


def test_original_app_shape_is_mapped():
    legacy = {"order_id": "o1", "user_id": "alice", "stock_id": "AAPL", "order_type": "sell",
              "price": 189.25, "quantity": 10, "market_order": False,
              "timestamp": "2026-11-25T14:59:59Z"}
    assert parse(legacy) == NewOrder("o1", "alice", "AAPL", "sell", "limit", "GTC", 18925, 10,
                                     "2026-11-25T14:59:59Z")
    market = parse({**legacy, "market_order": True, "order_type": "buy"})
    assert (market.type, market.side, market.price) == ("market", "buy", None)
    assert parse({**legacy, "market_order": None}) == parse(legacy)


LEGACY = {"order_id": 12345, "user_id": 67, "stock_id": "AAPL", "order_type": "buy",
          "price": "1.00", "quantity": 1}


@pytest.mark.parametrize("flag", ["yes", "true", 1, 0, 1.0, [], {}])
def test_original_app_market_order_that_is_not_a_boolean_is_invalid_field(flag):
    rejection = parse({**LEGACY, "market_order": flag})
    assert (rejection.reason, rejection.order_id) == ("invalid_field", "12345")
    assert "market_order" in rejection.detail


def test_original_app_market_order_is_checked_where_type_is():
    assert rejected_for({**LEGACY, "market_order": "x", "order_type": "hold"}) == "bad_side"
    assert rejected_for({**LEGACY, "market_order": "x", "price": "x"}) == "invalid_field"


def test_original_app_integer_ids_are_their_decimal_strings():
    command = parse({**LEGACY, "market_order": False})
    assert (command.order_id, command.user_id, command.type) == ("12345", "67", "limit")
    assert rejected_for({**LEGACY, "order_id": 10**70, "market_order": False}) == \
        "invalid_field"


def test_original_app_fields_fill_current_ones_that_are_null():
    command = parse({**LEGACY, "symbol": None, "side": None, "type": None,
                     "market_order": True})
    assert (command.symbol, command.side, command.type) == ("AAPL", "buy", "market")


def test_tick_and_lot_are_per_symbol():
    config = EngineConfig(symbols={"BRK.A": SymbolSpec(tick=Decimal("0.05"), lot=10)})
    brk = {**GOOD, "symbol": "BRK.A"}
    assert parse({**brk, "price": "189.25", "quantity": 30}, config).price == 3785
    assert rejected_for({**brk, "price": "189.26", "quantity": 30}, config) == "off_tick"
    assert rejected_for({**brk, "quantity": 25}, config) == "off_lot"
    assert rejected_for({**GOOD, "price": "189.255"}, config) == "off_tick"


def test_command_round_trips_through_a_json_able_dict():
    for command in (parse(GOOD), CancelOrder("a", "u", "AAPL", 5),
                    AmendOrder("a", "u", "AAPL", 60, 18920, "t")):
        assert Command.from_dict(json.loads(json.dumps(command.to_dict()))) == command


def test_rejection_event_carries_what_could_be_read(session: Session):
    outputs = session.send({**GOOD, "quantity": 1.5, "symbol": "msft"})
    (value,) = values(outputs, "order-events")
    assert outputs[0].key == "MSFT"
    assert value["event"] == "rejected" and value["reason"] == "bad_quantity"
    assert (value["order_id"], value["user_id"], value["symbol"], value["price"]) == (
        "c-1001", "alice", "MSFT", "189.25")
    assert value["quantity"] is None and "quantity" in value["detail"]


def test_garbage_bytes_yield_a_rejected_event_with_a_null_key(session: Session):
    outputs = session.send(raw=b"\x00\x9f garbage")
    assert [(o.topic, o.key) for o in outputs] == [("order-events", None)]
    assert reason(outputs) == "invalid_json"
    assert outputs[0].value["order_id"] == "orders-0-0"


UNREPRESENTABLE = "1e9999999999999999999"  # beyond the decimal type's exponent range


@pytest.mark.parametrize(("fields", "code"), [
    ('"price": 1e9999999999999999999, "quantity": 1', "bad_price"),
    ('"price": -1e9999999999999999999, "quantity": 1', "bad_price"),
    ('"price": 1e-9999999999999999999, "quantity": 1', "bad_price"),
    ('"price": 1e999999999999999999, "quantity": 1', "bad_price"),
    ('"price": 1e-999999999999999999, "quantity": 1', "bad_price"),
    ('"price": 1' + "0" * 5000 + ', "quantity": 1', "bad_price"),
    ('"price": "1", "quantity": 1e9999999999999999999', "bad_quantity"),
    ('"price": "1", "quantity": 1' + "0" * 5000, "bad_quantity"),
    ('"price": "1", "quantity": 1, "timestamp": 1e9999999999999999999, "side": 0', "bad_side"),
])
def test_numbers_the_decoder_cannot_hold_are_refused_not_raised(fields, code):
    raw = '{"order_id": "x", "user_id": "u", "symbol": "AAPL", "side": "buy", ' + fields + "}"
    assert rejected_for(raw) == code


def test_unrepresentable_amend_price_and_echoes():
    amend = ('{"action": "amend", "order_id": "x", "user_id": "u", "symbol": "AAPL", '
             f'"quantity": 1, "price": {UNREPRESENTABLE}, "timestamp": {UNREPRESENTABLE}}}')
    rejection = parse(amend)
    assert (rejection.reason, rejection.price, rejection.timestamp) == ("bad_price", None, None)


def test_unrepresentable_timestamp_of_a_valid_order_is_dropped():
    raw = json.dumps(GOOD)[:-1] + f', "timestamp": {UNREPRESENTABLE}}}'
    assert parse(raw) == parse(GOOD)


@pytest.mark.parametrize("user_id", [
    "zoë", "a\u00a0b", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\u200b", "\u2028",
    "\ue000", " ", "u" * 64, "\U0001f600" * 64,
])
def test_user_id_may_hold_any_unicode_but_controls_and_lone_surrogates(user_id):
    assert parse({**GOOD, "user_id": user_id}).user_id == user_id


@pytest.mark.parametrize("user_id", [
    "a\x00", "\t", "a\nb", "\x7f", "\x85", "\x9f", "\ud800", "x\udfff", "\udc00\ud800",
    "\U0001f600" * 65,
])
def test_user_id_with_a_control_or_lone_surrogate_is_invalid_field(user_id):
    assert rejected_for({**GOOD, "user_id": user_id}) == "invalid_field"


def test_echoed_lone_surrogates_are_replaced_so_outputs_encode_as_utf8(session: Session):
    (rejected,) = session.send({**GOOD, "user_id": "a\ud800", "symbol": "\udc00x",
                                "side": "\ud83d", "price": "1\udfff", "order_id": "\ud800",
                                "timestamp": "t\ud800"})
    assert rejected.key == "\ufffdX"
    value = rejected.value
    assert (value["order_id"], value["user_id"], value["side"], value["price"],
            value["timestamp"]) == ("\ufffd", "a\ufffd", "\ufffd", "1\ufffd", "t\ufffd")
    accepted = session.send({**GOOD, "timestamp": "\udc00\U0001f600"})
    assert values(accepted, "order-events")[0]["timestamp"] == "\ufffd\U0001f600"


def test_long_price_texts_are_converted_but_kept_nowhere():
    """300 one-megabyte prices once took 317 MB through the price cache (issue 7)."""
    parse({**GOOD, "price": "1.25"})  # warm the module-level state up
    tracemalloc.start()
    try:
        for n in range(30):
            padded = "0" * 1_000_000 + f"{100 + n}.25"
            assert parse({**GOOD, "price": padded}).price == (100 + n) * 100 + 25
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held < 3_000_000  # the last text itself, not thirty of them


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.decimals(allow_nan=False, allow_infinity=False).map(lambda d: json.loads(str(d))),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*GOOD, "timestamp", "stock_id", "market_order", "x"]),
                       _JSON_VALUES))
def test_the_fast_decoder_reads_every_top_level_value_as_the_exact_one(message):
    """orjson's result is used only where its top-level values are the exact ones.

    Inside a list or object numbers may differ (float, Decimal), but no check reads
    those: a field holding a container is refused or dropped for its type alone.
    """
    raw = json.dumps(message).encode()
    fast, exact = _decode(raw), _decode_exactly(raw)
    assert {k: type(v) for k, v in fast.items()} == {k: type(v) for k, v in exact.items()}
    assert {k: v for k, v in fast.items() if not isinstance(v, list | dict)} == \
        {k: v for k, v in exact.items() if not isinstance(v, list | dict)}


@pytest.mark.parametrize("raw", [b'{"price": 1.10}', b'{"quantity": 123456789012345678901234}',
                                 b'{"user_id": "\\ud800"}', b'{"a": 1e400}'])
def test_numbers_and_texts_orjson_cannot_read_exactly_take_the_exact_decoder(raw):
    assert _decode(raw) == _decode_exactly(raw)
    assert str(_decode(raw).popitem()[1]) == str(_decode_exactly(raw).popitem()[1])

"""``order-replay``: lines in, published messages out, as the contract says."""

import io
import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from engine_testkit import property_settings
from hypothesis import given
from hypothesis import strategies as st

from engine import Engine, Output, format_iso
from engine.clock import iso_json
from engine.outputs import TOPICS, encode_json
from engine.replay import encode_line, main, replay

LINES = [
    '{"order_id":"a1","user_id":"alice","symbol":"AAPL","side":"sell","price":"189.25",'
    '"quantity":100}',
    "not json at all",
    "",
    '{"user_id":"bob","symbol":"aapl","side":"buy","price":189.30,"quantity":40}',
]


@pytest.fixture
def stream(tmp_path: Path) -> Path:
    path = tmp_path / "orders.jsonl"
    path.write_bytes(("\n".join(LINES) + "\n").encode() + b"\xff\xfe\n")
    return path


def replayed(capsys, *argv: str) -> list[dict]:
    assert main(list(argv)) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_every_line_is_an_offset_and_outputs_come_in_publishing_order(stream, capsys):
    out = replayed(capsys, str(stream), "--fixed-clock", "2026-11-25T15:00:00Z")
    assert [(o["topic"], o["value"].get("event")) for o in out] == [
        ("order-events", "accepted"), ("market-data", None),
        ("order-events", "rejected"), ("order-events", "rejected"),
        ("order-events", "accepted"), ("trades", None), ("order-events", "partially_filled"),
        ("order-events", "filled"), ("market-data", None),
        ("order-events", "rejected")]
    assert out[4]["value"]["order_id"] == "orders-0-3"
    assert out[2]["key"] is None and out[2]["value"]["order_id"] == "orders-0-1"
    trade = out[5]
    assert trade["key"] == "AAPL" and trade["value"]["trade_id"] == "AAPL-1"
    assert trade["value"]["ts"] == "2026-11-25T15:00:00.000003Z"


def test_only_filters_topics(stream, capsys):
    out = replayed(capsys, str(stream), "--only", "trades", "--only", "market-data")
    assert {o["topic"] for o in out} == {"trades", "market-data"}


def test_stdin_and_fixed_clock_are_deterministic(stream, capsys, monkeypatch):
    runs = []
    for _ in range(2):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stream.read_bytes())))
        runs.append(replayed(capsys, "-", "--fixed-clock"))
    assert runs[0] == runs[1] and len(runs[0]) == 10


def test_summary_goes_to_stderr(stream, capsys):
    assert main([str(stream), "--summary", "--only", "trades"]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 1
    assert "5 messages" in captured.err and "trades=1" in captured.err
    assert "rejected=3" in captured.err and "msg/s" in captured.err


def test_tick_and_lot_flags_configure_symbols(stream, capsys):
    out = replayed(capsys, str(stream), "--tick", "AAPL=0.10", "--only", "order-events")
    assert [o["value"]["reason"] for o in out if o["value"]["event"] == "rejected"] == [
        "off_tick", "invalid_json", "invalid_json", "invalid_json"]
    assert main([str(stream), "--lot", "AAPL"]) == 2


def test_module_runs_as_a_command(stream):
    done = subprocess.run([sys.executable, "-m", "engine.replay", str(stream), "--only",
                           "trades", "--fixed-clock"], capture_output=True, check=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert json.loads(done.stdout)["value"]["quantity"] == 40


@property_settings(300)
@given(st.integers(min_value=-62135596800 * 10**6, max_value=253402300799 * 10**6 + 999_998))
def test_format_iso_matches_strftime(micros):
    """Also the next microsecond, mostly in the millisecond whose text is kept."""
    for time in (micros, micros + 1):
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=time)
        assert format_iso(time) == moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert iso_json(time) == json.dumps(format_iso(time))


@pytest.mark.parametrize(("key", "value"), [
    ("AAPL", {"event": "accepted", "user_id": "zoë ✓", "timestamp": 2**70, "price": None}),
    ("AAPL", {"event": "rejected", "user_id": "\ufffd", "timestamp": "t", "quantity": -(2**64)}),
    ("AAPL", {"event": "accepted", "user_id": "u", "timestamp": 2**63 - 1,
              "levels": [["1.00", 5]]}),
    ("É\x7f", {"event": "rejected", "quantity": 2**64}),
    (None, {"event": "rejected", "detail": "é"}),
])
def test_encoded_lines_are_the_json_values_in_key_order(key, value):
    """orjson or its json fallback (big integers): same values, same order, as one line."""
    output = Output("order-events", key, encode_json(value))
    line = encode_line(output)
    assert line == encode_json(output.to_dict()) + b"\n"
    assert json.loads(line) == output.to_dict()
    assert list(json.loads(line)["value"]) == list(value)


# Text with lone surrogates (json.dumps escapes them; the engine's decoder reads them back).
any_text = st.text(alphabet=st.characters(codec=None) | st.integers(0xD800, 0xDFFF).map(chr),
                   max_size=6)
echoed_values = st.none() | st.booleans() | st.integers() | any_text
message_fields = st.sampled_from(("action", "order_id", "user_id", "symbol", "side", "type",
                                  "tif", "price", "quantity", "timestamp", "stock_id",
                                  "order_type", "market_order"))
good_orders = st.fixed_dictionaries({
    "user_id": any_text, "symbol": st.sampled_from(("AAPL", "msft")),
    "side": st.sampled_from(("buy", "sell")), "price": st.sampled_from(("1.00", "1.01")),
    "quantity": st.integers(1, 5), "timestamp": any_text | st.integers()})
messages = st.one_of(
    st.dictionaries(message_fields, echoed_values, max_size=10).map(json.dumps),
    good_orders.map(json.dumps),
    any_text,
).map(lambda text: text.encode("utf-8", "surrogatepass")) | st.binary(max_size=40)


@property_settings(300)
@given(st.lists(messages, max_size=12))
def test_every_replayed_line_is_strict_utf8_json(lines):
    """Whatever comes in, each line decodes with a strict parser (orjson).

    And it is ``encode_line`` of its output, which replay() writes from prefixes it keeps.
    """
    blocks = list(replay(lines, Engine(), lambda offset: offset, set(TOPICS), Counter()))
    for block in blocks:
        assert block.endswith(b"\n")
        for line in block.split(b"\n")[:-1]:
            assert set(orjson.loads(line)) == {"topic", "key", "value"}
    engine = Engine()
    assert b"".join(blocks) == b"".join(
        encode_line(output) for offset, raw in enumerate(lines)
        for output in engine.process(raw, offset=offset, now=offset))

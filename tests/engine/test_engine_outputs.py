"""Outputs rendered straight to JSON: the very bytes encoding the contract's dicts gives."""

import json

from engine_testkit import NOW, property_settings
from hypothesis import given
from hypothesis import strategies as st
from order_streams import MixedStream

from engine import Engine, OrderBook, Rejection
from engine.book import DEPTH
from engine.clock import iso_json
from engine.outputs import MARKET_DATA, encode_json
from engine.render import book_rejection_json, rejection_value
from engine.replay import encode_line

# Any text, lone surrogates included (json.dumps escapes them; the decoder reads them back).
any_text = st.text(alphabet=st.characters(codec=None) | st.integers(0xD800, 0xDFFF).map(chr),
                   max_size=6)
users = st.sampled_from(('al"ice', "b\\ob", "zoë ✓", "😀", "a\u00a0b", "\u2028", "u")) | any_text
client_times = st.none() | any_text | st.integers() | st.decimals(allow_nan=False, places=3)
orders = st.fixed_dictionaries({
    "action": st.sampled_from(("new", "new", "new", "cancel", "amend")),
    "order_id": st.sampled_from(("o1", "o2", "o3", "o4")),
    "user_id": users, "symbol": st.sampled_from(("AAPL", "msft", "É")),
    "side": st.sampled_from(("buy", "sell")), "price": st.sampled_from(("1.00", "1.01", "1.001")),
    "quantity": st.integers(1, 5) | st.integers(), "timestamp": client_times,
    "tif": st.sampled_from(("GTC", "IOC", "FOK"))})


def encoded(message: dict) -> bytes:
    return json.dumps(message, default=str).encode("utf-8", "surrogatepass")


@property_settings(300)
@given(st.lists(orders.map(encoded) | st.binary(max_size=30), max_size=15))
def test_each_output_is_its_dict_encoded(lines):
    """Byte for byte ``encode_json`` of the value's dict (orjson, or json past 64 bits)."""
    engine = Engine()
    for offset, raw in enumerate(lines):
        for output in engine.process(raw, offset=offset, now=NOW + offset):
            assert output.json == encode_json(output.value)
            assert encode_line(output) == encode_json(output.to_dict()) + b"\n"


def _encodable(value: object) -> bool:
    """No lone surrogate: validation lets none through to the book."""
    return not isinstance(value, str) or not any("\ud800" <= c <= "\udfff" for c in value)


@property_settings(200)
@given(users.filter(_encodable), st.none() | any_text.filter(_encodable) | st.integers(),
       st.integers(1, 10**9), st.sampled_from(("buy", "sell")))
def test_book_rejections_are_their_dicts_encoded(user, timestamp, quantity, side):
    """The book's rejections, rendered without a dict, match ``rejection_value`` encoded."""
    book = OrderBook("AAPL")
    book.new("o1", user, side, "limit", "GTC", 100, 5, timestamp, NOW)
    events = [*book.new("o1", user, side, "limit", "GTC", 101, quantity, timestamp, NOW + 1),
              *book.cancel("o2", user, timestamp, NOW + 2),
              *book.amend("o1", f"{user}x", quantity, None, timestamp, NOW + 3)]
    assert [type(event) for event in events] == [Rejection] * 3
    for event in events:
        assert book_rejection_json(event, book.symbol_json, NOW, iso_json(NOW)) == \
            encode_json(rejection_value(event))


def test_market_data_shows_the_book_as_it_is_after_every_command():
    """The kept texts of levels and sides are never stale (``OrderBook._depth_json``)."""
    engine = Engine()
    stream = MixedStream(seed=4, symbols=("AAPL", "MSFT"), users=8, spread=15)
    for offset, message in enumerate(stream.messages(4_000)):
        for output in engine.process(json.dumps(message), offset=offset, now=NOW + offset):
            if output.topic != MARKET_DATA:
                continue
            book, snapshot = engine.books[output.key], output.value
            for name, side in (("bids", book.bids), ("asks", book.asks)):
                levels = [[book.format_price(level.price), level.total]
                          for level in list(side)[:DEPTH]]
                assert snapshot[name] == levels
                assert snapshot[f"best_{name[:3]}"] == (levels[0] if levels else None)

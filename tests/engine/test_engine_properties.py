"""Hypothesis properties of the book, of determinism, of rebuilds and of parsing."""

import json

from engine_testkit import NOW, property_settings
from hypothesis import given
from hypothesis import strategies as st

from engine import Engine, NewOrder, OrderBook, Rejection, parse_command
from engine.events import ACCEPTED, FILLED, TRADE

USERS = ("ann", "bob", "cat")
IDS = tuple(f"o{i}" for i in range(12))


@st.composite
def order_messages(draw) -> dict:
    """One wire message of any kind over a few ids, users and nearby prices."""
    action = draw(st.sampled_from(("new", "new", "new", "cancel", "amend")))
    message = {"action": action, "order_id": draw(st.sampled_from(IDS)),
               "user_id": draw(st.sampled_from(USERS)), "symbol": "AAPL"}
    price = f"{draw(st.integers(95, 105))}.00"
    quantity = draw(st.integers(1, 30))
    if action == "new":
        kind = draw(st.sampled_from(("limit", "limit", "market")))
        message.update(side=draw(st.sampled_from(("buy", "sell"))), type=kind,
                       tif=draw(st.sampled_from(("GTC", "GTC", "IOC", "FOK"))),
                       price=price, quantity=quantity)
    elif action == "amend":
        message["quantity"] = quantity
        if draw(st.booleans()):
            message["price"] = price
    return message


streams = st.lists(order_messages(), min_size=1, max_size=60)


def commands(messages: list[dict]) -> list:
    parsed = [parse_command(json.dumps(m), topic="orders", partition=0, offset=i, now=NOW)
              for i, m in enumerate(messages)]
    return [command for command in parsed if not isinstance(command, Rejection)]


def queue(book: OrderBook, side_name: str) -> list[str]:
    """Ids of one side's resting orders in priority order."""
    side = book.bids if side_name == "buy" else book.asks
    return [order.order_id for level in side for order in level]


@property_settings(150)
@given(streams)
def test_book_is_never_crossed_at_rest_and_levels_add_up(messages):
    book = OrderBook("AAPL")
    for offset, command in enumerate(commands(messages)):
        book.apply(command, NOW + offset)
        if book.bids.best and book.asks.best:
            assert book.bids.best.price < book.asks.best.price
        for side in (book.bids, book.asks):
            for level in side:
                orders = list(level)
                assert orders and level.total == sum(o.remaining for o in orders)
                assert all(o.price == level.price for o in orders)
        assert len(book.orders) == sum(1 for s in (book.bids, book.asks)
                                       for level in s for _ in level)


@property_settings(150)
@given(streams)
def test_quantities_are_conserved(messages):
    """filled + remaining (+ cancelled/expired) = original, and filled = traded."""
    book = OrderBook("AAPL")
    traded: dict[str, int] = {}
    for offset, command in enumerate(commands(messages)):
        for event in book.apply(command, NOW + offset).events:
            if type(event) is Rejection:
                continue
            if event[0] == TRADE:
                _, _, _, quantity, buy, sell, _ = event
                for order in (buy, sell):
                    traded[order.order_id] = traded.get(order.order_id, 0) + quantity
                continue
            name, order, quantity, filled, remaining = event[:5]
            if name == ACCEPTED:
                traded[order.order_id] = 0
            assert filled == traded[order.order_id]
            assert 0 <= filled <= quantity
            if remaining:
                assert filled + remaining == quantity
            if name == FILLED:
                assert filled == quantity
    for order in book.orders.values():
        assert order.quantity - order.remaining == traded[order.order_id]


@property_settings(150)
@given(streams)
def test_fills_follow_price_then_time_priority(messages):
    """Each aggressor consumes the opposite queue from its head, in order."""
    book = OrderBook("AAPL")
    for offset, command in enumerate(commands(messages)):
        if not isinstance(command, NewOrder):
            book.apply(command, NOW + offset)
            continue
        opposite = queue(book, "sell" if command.side == "buy" else "buy")
        result = book.apply(command, NOW + offset)
        trades = [e for e in result.events if type(e) is tuple and e[0] == TRADE]
        passive = [(sell if command.side == "buy" else buy).order_id
                   for _, _, _, _, buy, sell, _ in trades]
        assert passive == opposite[:len(passive)]
        prices = [trade[2] for trade in trades]
        assert prices == sorted(prices, reverse=command.side == "sell")


def run(messages: list[dict], engine: Engine | None = None, start: int = 0) -> list[str]:
    engine = engine or Engine()
    return [json.dumps(output.to_dict())
            for offset, message in enumerate(messages, start)
            for output in engine.process(json.dumps(message), offset=offset,
                                         now=NOW + offset)]


@property_settings(60)
@given(streams)
def test_identical_input_gives_identical_output(messages):
    assert run(messages) == run(messages)


@property_settings(100)
@given(streams, streams)
def test_rebuild_from_rows_gives_same_hash_and_same_future(before, after):
    live = Engine()
    run(before, live)
    rebuilt = Engine()
    for symbol, book in live.books.items():
        rows = book.to_rows()
        orders, seen, meta = json.loads(json.dumps([rows.orders, rows.seen, rows.meta]))
        rebuilt.books[symbol] = OrderBook.from_rows(symbol, orders, seen, meta)
        assert rebuilt.books[symbol].state_hash() == book.state_hash()
    start = len(before)
    assert run(after, rebuilt, start) == run(after, live, start)


@property_settings(300)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_arbitrary_bytes_never_raise_and_give_rejected_events(raw):
    outputs = Engine().process(raw, offset=0, now=NOW)
    assert len(outputs) == 1
    assert outputs[0].topic == "order-events" and outputs[0].value["event"] == "rejected"
    json.dumps(outputs[0].value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=8)
fields = st.sampled_from(("action", "order_id", "user_id", "symbol", "side", "type", "tif",
                          "price", "quantity", "stock_id", "order_type", "market_order",
                          "timestamp"))


@property_settings(300)
@given(st.dictionaries(fields, json_values, max_size=10))
def test_arbitrary_json_objects_never_raise(message):
    outputs = Engine().process(json.dumps(message), offset=0, now=NOW)
    assert outputs
    json.dumps([output.to_dict() for output in outputs])


PLAUSIBLE = {"action": ["new", "cancel", "amend"], "order_id": ["o1", 12], "user_id": ["u", 7],
             "symbol": ["AAPL"], "side": ["buy"], "type": ["limit", "market"], "tif": ["IOC"],
             "price": ["1.00", 2], "quantity": [3], "stock_id": ["MSFT"],
             "order_type": ["sell"], "market_order": [True, False], "timestamp": ["t", 5]}
plausible_messages = st.fixed_dictionaries({}, optional={
    name: st.sampled_from(choices) | json_values for name, choices in PLAUSIBLE.items()})


@property_settings(300)
@given(plausible_messages, st.sampled_from(sorted(PLAUSIBLE)))
def test_a_null_field_counts_as_absent(message, name):
    """The contract's settled edge input: ``"field": null`` is read as no field at all."""
    absent = {key: value for key, value in message.items() if key != name}
    parsed = [parse_command(json.dumps(m), topic="orders", partition=0, offset=0, now=NOW)
              for m in (absent, {**absent, name: None})]
    assert parsed[0] == parsed[1]

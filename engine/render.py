"""Render core events as the contract's JSON-able message values."""

from typing import Any

from engine.clock import Micros, format_iso
from engine.events import AMENDED, REJECTED, OrderEvent, Trade
from engine.orders import tif_of
from engine.rejections import Rejection

Value = dict[str, Any]


def trade_value(trade: Trade, symbol: str, format_price, ts: str) -> Value:
    """A ``trades`` message."""
    _, seq, price, quantity, buy, sell, aggressor_side = trade
    return {
        "trade_id": f"{symbol}-{seq}",
        "seq": seq,
        "symbol": symbol,
        "price": format_price(price),
        "quantity": quantity,
        "buy_order_id": buy.order_id,
        "sell_order_id": sell.order_id,
        "buy_user_id": buy.user_id,
        "sell_user_id": sell.user_id,
        "aggressor_side": aggressor_side,
        "ts": ts,
    }


def order_event_value(event: OrderEvent, symbol: str, format_price, ts: str) -> Value:
    """An ``order-events`` message for an order the book knows.

    Beyond the contract's fields it carries what the Cassandra records need and only the
    book knows: the order's ``tif``, its time-priority stamp ``priority_seq``, when it was
    accepted, and for ``amended`` the price and stamp it had before (its old book key).
    """
    name, order, quantity, filled, remaining, reason, detail = event[:7]
    accepted_at = order.accepted_at
    value = {
        "event": name,
        "order_id": order.order_id,
        "user_id": order.user_id,
        "symbol": symbol,
        "side": order.side,
        "price": None if order.price is None else format_price(order.price),
        "quantity": quantity,
        "filled_quantity": filled,
        "remaining_quantity": remaining,
        "reason": reason,
        "detail": detail,
        "timestamp": order.timestamp,
        "ts": ts,
        "tif": tif_of(order),
        "priority_seq": order.arrival,
        "accepted_ts": None if accepted_at is None else format_iso(accepted_at),
    }
    if name == AMENDED:
        price, arrival = event[7]
        value["previous_price"] = format_price(price)
        value["previous_priority_seq"] = arrival
    return value


def rejection_value(rejection: Rejection) -> Value:
    """A ``rejected`` order event, with what could be read of the message."""
    return {
        "event": REJECTED,
        "order_id": rejection.order_id,
        "user_id": rejection.user_id,
        "symbol": rejection.symbol,
        "side": rejection.side,
        "price": rejection.price,
        "quantity": rejection.quantity,
        "filled_quantity": 0,
        "remaining_quantity": 0,
        "reason": rejection.reason,
        "detail": rejection.detail,
        "timestamp": rejection.timestamp,
        "ts": format_iso(rejection.ts),
        "tif": None,
        "priority_seq": None,
        "accepted_ts": None,
    }


def last_trade_value(last: tuple[int, int, int, Micros] | None, symbol: str,
                     format_price) -> Value | None:
    """The ``last_trade`` part of a market-data snapshot, from a ``LastTrade``'s fields."""
    if last is None:
        return None
    seq, price, quantity, ts = last
    return {
        "trade_id": f"{symbol}-{seq}",
        "seq": seq,
        "price": format_price(price),
        "quantity": quantity,
        "ts": format_iso(ts),
    }

"""Orders and fills: the lifecycle table, deterministic client order ids, and the records the store keeps.

An order changes status only through :func:`transition`, along the edges of :data:`TRANSITIONS` (as in
NautilusTrader's order state machine); any other move raises :class:`IllegalTransition` and changes
nothing. Lifecycle:

``DENIED`` (the risk manager refused it; never sent) | ``SUBMITTED`` (sent, no answer yet) ->
``ACCEPTED`` (working on the book or at the paper broker) -> ``PARTIALLY_FILLED`` -> ``FILLED``, or
``CANCELED`` / ``EXPIRED`` (maker-first's skip) from a working status; ``REJECTED`` by the exchange.

Client order ids are deterministic (:func:`client_order_id`): the same account, symbol, decision time,
side and attempt always give the same id, so a retried task or a rerun tick sends the same id again and
the exchange (or the store) recognises it instead of trading twice.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from huracan.errors import HuracanError
from huracan.risk.intent import Side


class OrderStatus(StrEnum):
    """Where an order is in its life."""

    DENIED = "denied"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REJECTED = "rejected"

    @property
    def is_open(self) -> bool:
        """``SUBMITTED``, ``ACCEPTED`` and ``PARTIALLY_FILLED``: the order may still trade."""
        return self in _OPEN


_OPEN = frozenset({OrderStatus.SUBMITTED, OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED})

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.SUBMITTED: frozenset(
        {
            OrderStatus.ACCEPTED,
            OrderStatus.REJECTED,
            OrderStatus.PARTIALLY_FILLED,
            OrderStatus.FILLED,
            OrderStatus.CANCELED,
            OrderStatus.EXPIRED,
        }
    ),
    OrderStatus.ACCEPTED: frozenset(
        {OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED}
    ),
    OrderStatus.PARTIALLY_FILLED: frozenset(
        {OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED}
    ),
    OrderStatus.DENIED: frozenset(),
    OrderStatus.FILLED: frozenset(),
    OrderStatus.CANCELED: frozenset(),
    OrderStatus.EXPIRED: frozenset(),
    OrderStatus.REJECTED: frozenset(),
}
"""The allowed moves: ``TRANSITIONS[status]`` lists where an order in ``status`` may go next."""


class IllegalTransition(HuracanError):
    """An order was asked to move along an edge :data:`TRANSITIONS` does not have."""


class OrderKind(StrEnum):
    """``market`` (taker), ``limit_maker`` (post-only, maker-first's limit)."""

    MARKET = "market"
    LIMIT_MAKER = "limit_maker"


_CLIENT_ID = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}$")


def client_order_id(account: str, symbol: str, decision_ms: int, side: Side | str, attempt: int = 0) -> str:
    """The deterministic client order id of an order: ``hu`` + 28 hex digits of a SHA-256 over the
    account, symbol, decision time (ms UTC), side and attempt, + ``-`` + the attempt (at most 36
    characters from Binance's allowed set ``[.A-Z:/a-z0-9_-]``)."""
    if attempt < 0:
        raise ValueError(f"attempt must be >= 0, got {attempt}")
    digest = hashlib.sha256(f"{account}|{symbol}|{int(decision_ms)}|{Side(side).value}|{attempt}".encode())
    cid = f"hu{digest.hexdigest()[:28]}-{attempt}"
    if not _CLIENT_ID.match(cid):  # the format above always matches; guards edits to it
        raise ValueError(f"client order id {cid!r} breaks the exchange's format")
    return cid


@dataclass(frozen=True)
class Order:
    """One order as the store keeps it.

    :param client_order_id: deterministic id (:func:`client_order_id`), the primary key.
    :param account: account id (``paper``, ``live``, ``shadow:...``).
    :param symbol: unified symbol, e.g. ``BTC/USDT``.
    :param side: buy or sell.
    :param kind: market or limit_maker.
    :param status: where it is in its life.
    :param decision_ms: close time of the candle the decision was made at, ms UTC.
    :param source: who asked: ``model:<name>/<version>`` or ``manual:<who>``.
    :param target_frac: the exposure of the book it trades to (model orders), fraction; ``None`` for a
        quantity order (manual).
    :param qty_base: the quantity asked for (manual) or approved by the risk manager (resized), base;
        ``None``: sized at the fill to reach the target.
    :param limit_quote: limit price of a limit order, quote.
    :param reprices: maker-first re-prices so far.
    :param filled_base: quantity filled so far, base.
    :param avg_price_quote: average fill price, quote; 0 before the first fill.
    :param fee_quote: exchange fees paid, quote.
    :param cost_quote: fees plus spread and slippage against the reference price, quote.
    :param exchange_order_id: the exchange's id, once known.
    :param reason: why it was denied, rejected, canceled or expired.
    :param created_ms: when it was recorded, ms UTC.
    :param updated_ms: last change, ms UTC.
    """

    client_order_id: str
    account: str
    symbol: str
    side: Side
    kind: OrderKind
    status: OrderStatus
    decision_ms: int
    source: str
    target_frac: float | None = None
    qty_base: float | None = None
    limit_quote: float | None = None
    reprices: int = 0
    filled_base: float = 0.0
    avg_price_quote: float = 0.0
    fee_quote: float = 0.0
    cost_quote: float = 0.0
    exchange_order_id: str | None = None
    reason: str = ""
    created_ms: int = 0
    updated_ms: int = 0

    def as_json(self) -> dict[str, Any]:
        """The order as a JSON-able dict (enums as their values)."""
        return {name: getattr(value, "value", value) for name, value in self.__dict__.items()}


def transition(order: Order, status: OrderStatus, **changes: Any) -> Order:
    """``order`` moved to ``status`` (with ``changes`` to its other fields); :class:`IllegalTransition`
    when :data:`TRANSITIONS` has no such edge."""
    if status not in TRANSITIONS[order.status]:
        raise IllegalTransition(f"order {order.client_order_id} cannot go from {order.status.value} to {status.value}")
    return replace(order, status=status, **changes)


@dataclass(frozen=True)
class Fill:
    """One execution of (part of) an order.

    :param trade_id: unique per fill (the exchange's trade id; the paper broker's ``<client id>-<n>``);
        a fill already recorded is never applied again.
    :param client_order_id: the order it belongs to.
    :param account: account id.
    :param symbol: unified symbol.
    :param side: buy or sell.
    :param qty_base: quantity, base, > 0.
    :param price_quote: price, quote per base.
    :param reference_quote: the price the cost model priced it against (a taker's open or last close, a
        maker's limit), quote per base; spread and slippage are the distance from it.
    :param fee_quote: exchange fee, quote.
    :param cost_quote: fee plus spread and slippage against the reference price, quote.
    :param maker: a resting order's fill.
    :param ts_ms: when it happened, ms UTC.
    """

    trade_id: str
    client_order_id: str
    account: str
    symbol: str
    side: Side
    qty_base: float
    price_quote: float
    reference_quote: float
    fee_quote: float
    cost_quote: float
    maker: bool
    ts_ms: int

    def as_json(self) -> dict[str, Any]:
        """The fill as a JSON-able dict."""
        return {name: getattr(value, "value", value) for name, value in self.__dict__.items()}

"""The emulator venue's records: sides, order types and statuses, orders with their status table, trades,
balances and accounts.

Money is :class:`~decimal.Decimal`: prices and quote amounts in quote currency, quantities in the base
asset, rounded to 8 decimals as Binance shows them; times are the emulator clock, ms UTC. The engine that
changes them is :mod:`huracan.market.emulator.orders`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

_EIGHT = Decimal("1e-8")


def q8(value: Decimal) -> Decimal:
    """``value`` rounded to 8 decimals (half to even)."""
    return value.quantize(_EIGHT, ROUND_HALF_EVEN)


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    LIMIT_MAKER = "LIMIT_MAKER"


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class OrderStatus(StrEnum):
    """Binance order statuses the emulator uses; ``NEW`` and ``PARTIALLY_FILLED`` are open."""

    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"


class OrderEvent(StrEnum):
    PART_FILL = "part_fill"
    FILL = "fill"
    CANCEL = "cancel"
    EXPIRE = "expire"


OPEN_STATUSES = frozenset({OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED})
TRANSITIONS: dict[tuple[OrderStatus, OrderEvent], OrderStatus] = {
    (status, event): target
    for status in OPEN_STATUSES
    for event, target in (
        (OrderEvent.PART_FILL, OrderStatus.PARTIALLY_FILLED),
        (OrderEvent.FILL, OrderStatus.FILLED),
        (OrderEvent.CANCEL, OrderStatus.CANCELED),
        (OrderEvent.EXPIRE, OrderStatus.EXPIRED),
    )
}
"""Allowed ``(status, event) -> status`` moves; FILLED, CANCELED and EXPIRED are final."""


@dataclass
class Order:
    """One order; change its status only with :meth:`apply`. ``locked`` is what it still holds locked
    (quote for a buy, base for a sell)."""

    api_key: str
    symbol: str
    order_id: int
    client_order_id: str
    side: Side
    type: OrderType
    time_in_force: TimeInForce
    price: Decimal | None
    orig_qty: Decimal
    orig_quote_qty: Decimal
    time_ms: int
    status: OrderStatus = OrderStatus.NEW
    executed_qty: Decimal = Decimal(0)
    cum_quote_qty: Decimal = Decimal(0)
    update_ms: int = 0
    locked: Decimal = Decimal(0)
    next_candle_ms: int = 0

    @property
    def is_open(self) -> bool:
        """NEW or PARTIALLY_FILLED."""
        return self.status in OPEN_STATUSES

    @property
    def remaining_qty(self) -> Decimal:
        return self.orig_qty - self.executed_qty

    def apply(self, event: OrderEvent, clock_ms: int) -> None:
        """Move the status by :data:`TRANSITIONS`; an illegal move raises ValueError and changes nothing."""
        target = TRANSITIONS.get((self.status, event))
        if target is None:
            raise ValueError(f"order {self.symbol} #{self.order_id}: {event} is not allowed when {self.status}")
        self.status, self.update_ms = target, clock_ms


@dataclass(frozen=True)
class Trade:
    """One fill of an order (``price`` quote per base, ``qty`` base, ``quote_qty`` quote)."""

    api_key: str
    symbol: str
    trade_id: int
    order_id: int
    side: Side
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str
    time_ms: int
    is_maker: bool


@dataclass
class Balance:
    free: Decimal = Decimal(0)
    locked: Decimal = Decimal(0)


@dataclass
class Account:
    balances: dict[str, Balance]
    update_ms: int = 0

    def balance(self, asset: str) -> Balance:
        return self.balances.setdefault(asset, Balance())


@dataclass(frozen=True)
class NewOrder:
    """A validated order request: exactly one of ``qty`` (base) and ``quote_qty`` (quote, MARKET only);
    ``price`` (quote) for limit types."""

    symbol: str
    side: Side
    type: OrderType
    time_in_force: TimeInForce
    qty: Decimal | None
    quote_qty: Decimal | None
    price: Decimal | None
    client_order_id: str | None

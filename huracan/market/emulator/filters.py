"""Exchange filters of an emulated symbol: what exchangeInfo lists and what the order endpoints enforce.

One :class:`SymbolFilters` per symbol, derived from its price level (:meth:`SymbolFilters.for_price`), is
both rendered into ``GET /api/v3/exchangeInfo`` (so ccxt's ``market['precision']`` and ``['limits']`` are
right) and checked on every new order, in Binance's order. A failure raises :class:`FilterFailure`, which
the order endpoints answer as Binance does: HTTP 400 ``{"code": -1013, "msg": "Filter failure: <FILTER>"}``.

Checked filters: ``PRICE_FILTER`` (min/max price, price a multiple of ``tickSize``), ``PERCENT_PRICE_BY_SIDE``
(a limit price within the multipliers of the reference price), ``LOT_SIZE`` (min/max quantity, ``(qty -
minQty)`` a multiple of ``stepSize``; MARKET_LOT_SIZE has the same maximum and no step), ``NOTIONAL``
(price x quantity within [minNotional, maxNotional]; market orders are valued at the reference price and
checked against the minimum only) and ``MAX_NUM_ORDERS`` (open orders per symbol and account).
Prices in quote currency, quantities in the base asset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


def _dec(value: float) -> Decimal:
    return Decimal(f"{value:.8f}")


def _text(value: Decimal) -> str:
    return f"{value:.8f}"


class FilterFailure(ValueError):
    """An order fails the exchange filter ``name`` (e.g. "LOT_SIZE"); the message is Binance's."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Filter failure: {name}")
        self.name = name


@dataclass(frozen=True)
class SymbolFilters:
    """The filters of one symbol (prices in quote currency, quantities in base, notionals in quote).

    :param tick_size: price increment (PRICE_FILTER ``tickSize``).
    :param min_price: lowest limit price.
    :param max_price: highest limit price.
    :param step_size: quantity increment (LOT_SIZE ``stepSize``).
    :param min_qty: smallest quantity (LOT_SIZE ``minQty``).
    :param max_qty: largest quantity (LOT_SIZE and MARKET_LOT_SIZE ``maxQty``).
    :param min_notional: smallest price x quantity (NOTIONAL ``minNotional``).
    :param max_notional: largest price x quantity of a limit order (NOTIONAL ``maxNotional``).
    :param multiplier_up: a limit price may be at most this times the reference price.
    :param multiplier_down: a limit price may be at least this times the reference price.
    :param max_num_orders: most open orders per account on the symbol.
    """

    tick_size: Decimal
    min_price: Decimal
    max_price: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal = Decimal("9000000")
    min_notional: Decimal = Decimal("5")
    max_notional: Decimal = Decimal("9000000")
    multiplier_up: Decimal = Decimal("5")
    multiplier_down: Decimal = Decimal("0.2")
    max_num_orders: int = 200

    @classmethod
    def for_price(cls, price_quote: float) -> SymbolFilters:
        """Filters that look like Binance's for a symbol trading near ``price_quote``: BTC at 10,000 gets
        tick 0.01 and step 0.00001 (a step worth about 0.1 quote), ETH at 300 tick 0.01 and step 0.0001."""
        tick = min(0.01, max(1e-8, 10.0 ** (math.floor(math.log10(price_quote)) - 6)))
        step = min(1.0, max(1e-8, 10.0 ** (math.floor(math.log10(10.0 / price_quote)) - 2)))
        return cls(
            tick_size=_dec(tick),
            min_price=_dec(tick),
            max_price=_dec(price_quote * 1e4),
            step_size=_dec(step),
            min_qty=_dec(step),
        )

    def binance(self) -> list[dict[str, Any]]:
        """The ``filters`` list of the symbol's exchangeInfo entry."""
        return [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": _text(self.min_price),
                "maxPrice": _text(self.max_price),
                "tickSize": _text(self.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": _text(self.min_qty),
                "maxQty": _text(self.max_qty),
                "stepSize": _text(self.step_size),
            },
            {"filterType": "ICEBERG_PARTS", "limit": 10},
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": "0.00000000",
                "maxQty": _text(self.max_qty),
                "stepSize": "0.00000000",
            },
            {
                "filterType": "TRAILING_DELTA",
                "minTrailingAboveDelta": 10,
                "maxTrailingAboveDelta": 2000,
                "minTrailingBelowDelta": 10,
                "maxTrailingBelowDelta": 2000,
            },
            {
                "filterType": "PERCENT_PRICE_BY_SIDE",
                "bidMultiplierUp": str(self.multiplier_up),
                "bidMultiplierDown": str(self.multiplier_down),
                "askMultiplierUp": str(self.multiplier_up),
                "askMultiplierDown": str(self.multiplier_down),
                "avgPriceMins": 5,
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": _text(self.min_notional),
                "applyMinToMarket": True,
                "maxNotional": _text(self.max_notional),
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": self.max_num_orders},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
        ]

    def check_price(self, price: Decimal, reference: Decimal) -> None:
        """PRICE_FILTER then PERCENT_PRICE_BY_SIDE for a limit ``price``; raises :class:`FilterFailure`."""
        if price < self.min_price or price > self.max_price or price % self.tick_size:
            raise FilterFailure("PRICE_FILTER")
        if not reference * self.multiplier_down <= price <= reference * self.multiplier_up:
            raise FilterFailure("PERCENT_PRICE_BY_SIDE")

    def check_quantity(self, qty: Decimal) -> None:
        """LOT_SIZE for ``qty`` (MARKET_LOT_SIZE has the same maximum); raises :class:`FilterFailure`."""
        if qty < self.min_qty or qty > self.max_qty or (qty - self.min_qty) % self.step_size:
            raise FilterFailure("LOT_SIZE")

    def check_notional(self, notional: Decimal, market: bool) -> None:
        """NOTIONAL for price x quantity ``notional`` (quote); raises :class:`FilterFailure`."""
        if notional < self.min_notional or (not market and notional > self.max_notional):
            raise FilterFailure("NOTIONAL")

    def floor_qty(self, qty: Decimal) -> Decimal:
        """``qty`` rounded down to the lot step (base)."""
        return (qty // self.step_size) * self.step_size

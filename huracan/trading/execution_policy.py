"""Execution policies: how a change of target exposure becomes a fill, candle by candle.

The backtester, the paper broker and the exchange broker all execute through :func:`advance`, so a
policy behaves the same everywhere. A decision is made at the close of candle t; its order then *works*
in the candles that follow, one :func:`advance` call per candle, until it fills, is dropped, or a new
decision replaces it.

``taker`` (the default, what the trading env trains with): a market order that fills at the open of
candle t + 1, with the spread and the square-root slippage against the volume of candle t, and the taker
fee (:meth:`CostModel.rebalance <huracan.trading.costs.CostModel.rebalance>`).

``maker_first``: a post-only limit order at the best price on its side when the decision is made: the
bid for a buy, ``close * (1 - half_spread)``, the ask for a sell, ``close * (1 + half_spread)``. It fills,
at its limit, with the maker fee and no spread or slippage, if the next candle trades through the price
(a buy: low < limit; a sell: high > limit; touching is not enough, since orders ahead in the queue fill
first). Otherwise it is re-priced at that candle's close and works in the next candle, up to
``max_reprices`` times; then the ``fallback`` applies: ``take`` sends a market order that fills at the
next open as a taker would, ``skip`` drops the order and the account stays where it was (off its target
until the next decision changes the target).

Units: prices in quote currency per base (``*_quote``), fractions (``*_frac``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

from huracan.trading import accounting
from huracan.trading.costs import BUY, SELL, CostModel

if TYPE_CHECKING:
    from huracan.config import Settings


class ExecutionKind(StrEnum):
    """The execution policies."""

    TAKER = "taker"
    MAKER_FIRST = "maker_first"


class Fallback(StrEnum):
    """What ``maker_first`` does when its last re-priced limit order did not fill."""

    TAKE = "take"
    SKIP = "skip"


@dataclass(frozen=True)
class ExecutionPolicy:
    """How orders are executed.

    :param kind: ``taker`` or ``maker_first`` (see the module docstring).
    :param max_reprices: ``maker_first``: how many times an unfilled limit order is re-priced at a candle
        close before the fallback, >= 0 (0: one candle at the first price only).
    :param fallback: ``maker_first``: ``take`` (market order at the next open) or ``skip`` (drop it).
    """

    kind: ExecutionKind = ExecutionKind.TAKER
    max_reprices: int = 2
    fallback: Fallback = Fallback.TAKE

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", ExecutionKind(self.kind))
        except ValueError:
            raise ValueError(
                f"execution kind must be one of {[k.value for k in ExecutionKind]}, got {self.kind!r}"
            ) from None
        try:
            object.__setattr__(self, "fallback", Fallback(self.fallback))
        except ValueError:
            raise ValueError(f"fallback must be one of {[f.value for f in Fallback]}, got {self.fallback!r}") from None
        if int(self.max_reprices) != self.max_reprices or self.max_reprices < 0:
            raise ValueError(f"max_reprices must be an integer >= 0, got {self.max_reprices}")

    @classmethod
    def from_settings(cls, settings: Settings) -> ExecutionPolicy:
        """The policy of ``HURACAN_EXECUTION``, ``HURACAN_EXECUTION_MAX_REPRICES``, ``HURACAN_EXECUTION_FALLBACK``."""
        return cls(
            ExecutionKind(settings.execution), settings.execution_max_reprices, Fallback(settings.execution_fallback)
        )

    def describe(self) -> str:
        """One line for people: ``taker`` or ``maker_first (2 re-prices, then take)``."""
        if self.kind is ExecutionKind.TAKER:
            return "taker"
        return f"maker_first ({self.max_reprices} re-prices, then {self.fallback.value})"


class WorkingOrder(NamedTuple):
    """An order working in the next candle.

    :param target_frac: the exposure it trades the account to, fraction of equity.
    :param side: :data:`~huracan.trading.costs.BUY` (1) or :data:`~huracan.trading.costs.SELL` (-1).
    :param limit_quote: the limit price of a post-only order; ``None`` for a market order.
    :param reprices: how many times the limit was re-priced so far.
    :param max_qty_base: most base it may trade (the risk manager resized it), or ``None``: as much as
        reaching the target takes, sized at the fill's price exactly as the env sizes it.
    """

    target_frac: float
    side: int
    limit_quote: float | None
    reprices: int = 0
    max_qty_base: float | None = None

    def target_at(self, cash_quote: float, position_base: float, price_quote: float) -> float:
        """The exposure the fill at ``price_quote`` trades to: ``target_frac``, or, for a resized order,
        the exposure that ``max_qty_base`` reaches when that is closer (valued at ``price_quote``)."""
        if self.max_qty_base is None:
            return self.target_frac
        equity = cash_quote + position_base * price_quote
        wanted = self.target_frac * equity / price_quote - position_base
        if abs(wanted) <= self.max_qty_base:
            return self.target_frac
        return (position_base + self.side * self.max_qty_base) * price_quote / equity


class Candle(NamedTuple):
    """What :func:`advance` reads of the candle an order works in, and of the one before it: prices in
    quote, ``prev_volume_base`` the base volume of the previous candle (a market order's slippage is
    priced on the volume known when it was sent)."""

    open_quote: float
    high_quote: float
    low_quote: float
    close_quote: float
    prev_volume_base: float


class Advance(NamedTuple):
    """The outcome of one candle for a working order.

    :param cash_quote: cash after the candle's fill (unchanged without one).
    :param position_base: position after it.
    :param cost_quote: fees, spread and slippage of the fill, quote; 0 without one.
    :param filled: ``"maker"``, ``"taker"`` or ``None``.
    :param reference_quote: the price the fill is valued at (limit or open); ``nan`` without a fill.
    :param next_order: the order working in the candle after, or ``None`` (filled or dropped).
    :param skipped: the order was dropped by the ``skip`` fallback.
    """

    cash_quote: float
    position_base: float
    cost_quote: float
    filled: str | None
    reference_quote: float
    next_order: WorkingOrder | None
    skipped: bool = False


def side_for(cash_quote: float, position_base: float, target_frac: float, price_quote: float) -> int:
    """The side of the order that takes the account to ``target_frac`` at ``price_quote``: BUY, SELL or 0."""
    signed = target_frac * (cash_quote + position_base * price_quote) / price_quote - position_base
    return BUY if signed > 0.0 else SELL if signed < 0.0 else 0


def place(
    policy: ExecutionPolicy,
    costs: CostModel,
    cash_quote: float,
    position_base: float,
    target_frac: float,
    close_quote: float,
) -> WorkingOrder | None:
    """The order a decision at a candle's close sends for ``target_frac``. A market order is sized when it
    fills (at the next open, as the env does); a limit order's side is judged at the close, and ``None``
    is returned when the account holds the target exactly there (no order)."""
    side = side_for(cash_quote, position_base, target_frac, close_quote)
    if policy.kind is ExecutionKind.TAKER:
        return WorkingOrder(target_frac, side, None)  # sized and filled at the next open, as the env does
    if side == 0:
        return None
    return WorkingOrder(target_frac, side, limit_price(costs, side, close_quote))


def limit_price(costs: CostModel, side: int, close_quote: float) -> float:
    """The best price on ``side`` at a close: the bid for a buy, the ask for a sell, half a spread away."""
    return close_quote * (1.0 - costs.half_spread_frac) if side == BUY else close_quote * (1.0 + costs.half_spread_frac)


def trades_through(side: int, limit_quote: float, high_quote: float, low_quote: float) -> bool:
    """A resting limit fills when the candle trades through it: below a buy, above a sell."""
    return low_quote < limit_quote if side == BUY else high_quote > limit_quote


def advance(
    policy: ExecutionPolicy,
    costs: CostModel,
    order: WorkingOrder,
    cash_quote: float,
    position_base: float,
    candle: Candle,
) -> Advance:
    """What happens to ``order`` in ``candle``: a market order fills at the open; a limit order fills at
    its limit if the candle trades through it, else it is re-priced at the close or, out of re-prices,
    handed to the fallback (a market order for the next candle, or dropped)."""
    if order.limit_quote is None:
        target = order.target_at(cash_quote, position_base, candle.open_quote)
        cash, position, cost = accounting.fill(
            costs, cash_quote, position_base, target, candle.open_quote, candle.prev_volume_base
        )
        return Advance(cash, position, cost, "taker", candle.open_quote, None)
    if trades_through(order.side, order.limit_quote, candle.high_quote, candle.low_quote):
        if side_for(cash_quote, position_base, order.target_frac, order.limit_quote) != order.side:
            return Advance(cash_quote, position_base, 0.0, None, math.nan, None)  # on target at the limit
        target = order.target_at(cash_quote, position_base, order.limit_quote)
        cash, position, cost = accounting.fill(
            costs, cash_quote, position_base, target, order.limit_quote, 0.0, maker=True
        )
        return Advance(cash, position, cost, "maker", order.limit_quote, None)
    if order.reprices < policy.max_reprices:
        side = side_for(cash_quote, position_base, order.target_frac, candle.close_quote)
        if side == 0:
            return Advance(cash_quote, position_base, 0.0, None, math.nan, None)
        repriced = order._replace(
            side=side, limit_quote=limit_price(costs, side, candle.close_quote), reprices=order.reprices + 1
        )
        return Advance(cash_quote, position_base, 0.0, None, math.nan, repriced)
    if policy.fallback is Fallback.TAKE:
        return Advance(cash_quote, position_base, 0.0, None, math.nan, order._replace(limit_quote=None))
    return Advance(cash_quote, position_base, 0.0, None, math.nan, None, skipped=True)

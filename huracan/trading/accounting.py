"""The one accounting core: how an order changes a spot account, how the account is marked, when it is
ruined and what a step earns, for one account (Python floats) or N accounts at once (float64 arrays).

Everything in Huracan that produces equity goes through these functions:

- :class:`~huracan.trading.env.TradingEnv`: one account, :func:`step` on floats;
- :class:`~huracan.trading.vec_env.TradingVecEnv`: N accounts, :func:`step` on arrays;
- the backtester (:mod:`huracan.trading.backtest`): one path, :func:`fill` for its orders one by one, then
  :func:`mark` and :func:`ruined` for all its candles at once (cash and position do not change between
  orders, so marking them in bulk is exact);
- the paper broker (:mod:`huracan.execution.paper`): :func:`fill` for each order it executes.

One step of an account, from the decision at the close of candle t:

1. **fill**: a change of target exposure is traded through the one cost model
   (:meth:`CostModel.rebalance <huracan.trading.costs.CostModel.rebalance>`): as a taker at the open of
   candle t + 1 (spread and slippage against the volume of candle t), or as a maker at its limit price;
2. **mark**: ``held = position * close`` and ``equity = cash + held`` at the close of candle t + 1;
3. **ruin**: the account is ruined when equity is at or below its ruin level;
4. **return**: the step earns ``ln(equity / previous equity)`` (:func:`step`).

The float and the array form give the same numbers bit for bit: the cost model's batch form repeats the
scalar one's floating-point operations, and marking uses the same two operations in both. Only the log
may differ in the last bit of a float64 (numpy's vectorised log against libm's).

Units: money in quote currency (``*_quote``), quantities in base asset (``*_base``), exposure as a fraction
of equity (``*_frac``).
"""

from __future__ import annotations

import math
from typing import Any, TypeVar, overload

import numpy as np

from huracan.trading.costs import CostModel

Amount = TypeVar("Amount", float, np.ndarray)
"""A float (one account) or a 1-D float64 array (one value per account)."""


@overload
def fill(
    costs: CostModel,
    cash_quote: float,
    position_base: float,
    target_frac: float,
    ref_price_quote: float,
    volume_base: float,
    trade: bool = True,
    maker: bool = False,
) -> tuple[float, float, float]: ...


@overload
def fill(
    costs: CostModel,
    cash_quote: np.ndarray,
    position_base: np.ndarray,
    target_frac: np.ndarray,
    ref_price_quote: np.ndarray,
    volume_base: np.ndarray,
    trade: np.ndarray | None = None,
    maker: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...


def fill(
    costs: CostModel,
    cash_quote: Any,
    position_base: Any,
    target_frac: Any,
    ref_price_quote: Any,
    volume_base: Any,
    trade: Any = True,
    maker: Any = False,
) -> Any:
    """Trade each account to ``target_frac`` of its equity at ``ref_price_quote``.

    :param costs: the cost model.
    :param cash_quote: cash before the order, quote, >= 0.
    :param position_base: position before the order, base, >= 0.
    :param target_frac: target exposure, fraction of equity in [0, 1].
    :param ref_price_quote: the next open (taker) or the limit price (maker), quote per base, > 0.
    :param volume_base: base volume of the last closed candle, >= 0 (slippage of a taker order).
    :param trade: False (or False elements of a mask): no order, cash and position unchanged, cost 0.
    :param maker: True (or True elements of a mask): a resting limit order filled at its limit, maker fee.
    :return: ``(cash_quote, position_base, cost_quote)`` after the order.
    """
    if isinstance(cash_quote, np.ndarray):
        return costs.rebalance_batch(
            cash_quote,
            position_base,
            target_frac,
            ref_price_quote,
            volume_base,
            trade,
            maker if maker is not False else None,
        )
    if not trade:
        return cash_quote, position_base, 0.0
    return costs.rebalance(cash_quote, position_base, target_frac, ref_price_quote, volume_base, maker)


def mark(cash_quote: Amount, position_base: Amount, price_quote: Amount) -> tuple[Amount, Amount]:
    """``(held_quote, equity_quote)``: the position valued at ``price_quote``, and cash plus that value."""
    held = position_base * price_quote
    return held, cash_quote + held


@overload
def ruined(equity_quote: float, ruin_equity_quote: float) -> bool: ...


@overload
def ruined(equity_quote: np.ndarray, ruin_equity_quote: float | np.ndarray) -> np.ndarray: ...


def ruined(equity_quote: Any, ruin_equity_quote: Any) -> Any:
    """True where equity is at or below the ruin level, quote."""
    return equity_quote <= ruin_equity_quote


def step(
    costs: CostModel,
    cash_quote: Amount,
    position_base: Amount,
    target_frac: Amount,
    trade: Any,
    ref_price_quote: Amount,
    volume_base: Amount,
    mark_price_quote: Amount,
    previous_equity_quote: Amount,
) -> tuple[Amount, Amount, Amount, Amount, Amount, Amount]:
    """One taker step of each account: :func:`fill` (where ``trade``), :func:`mark` at ``mark_price_quote``
    (the close of the candle the order filled in) and the log return against ``previous_equity_quote``.

    :return: ``(cash_quote, position_base, cost_quote, held_quote, equity_quote, log_return)`` after
        the step: cash and position after the fill, its fees, spread and slippage (0 without an order), the
        position's value at the mark price, cash plus that value, and ``ln(equity / previous equity)``.
    """
    if not isinstance(cash_quote, np.ndarray):
        return step_one(
            costs, cash_quote, position_base, target_frac, trade, ref_price_quote, volume_base, mark_price_quote,
            previous_equity_quote,
        )  # fmt: skip
    cash, position, cost = costs.rebalance_batch(
        cash_quote, position_base, target_frac, ref_price_quote, volume_base, trade
    )
    held = position * mark_price_quote
    equity = cash + held
    return cash, position, cost, held, equity, np.log(equity / previous_equity_quote)


def step_one(
    costs: CostModel,
    cash_quote: float,
    position_base: float,
    target_frac: float,
    trade: bool,
    ref_price_quote: float,
    volume_base: float,
    mark_price_quote: float,
    previous_equity_quote: float,
) -> tuple[float, float, float, float, float, float]:
    """:func:`step` for one account (Python floats), without the dispatch: the single env's hot path."""
    if trade:
        cash, position, cost = costs.rebalance(cash_quote, position_base, target_frac, ref_price_quote, volume_base)
    else:
        cash, position, cost = cash_quote, position_base, 0.0
    held = position * mark_price_quote  # as mark() does, inlined
    equity = cash + held
    return cash, position, cost, held, equity, math.log(equity / previous_equity_quote)

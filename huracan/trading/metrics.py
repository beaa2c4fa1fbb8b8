"""Performance metrics of a backtest, from its equity curve, its exposure levels and its costs.

Notation: ``E_0 .. E_k`` is the equity curve in quote currency (``E_0`` the starting equity, ``E_i``
the equity marked at the close after step i), ``r_i = E_i / E_{i-1} - 1`` the k simple step returns,
and ``P`` the number of steps in a year. Crypto trades around the clock, so ``P = 365 days /
timeframe`` (8760 for 1h candles, 365 for 1d). No risk-free rate.

- ``total_return`` = ``E_k / E_0 - 1``, fraction.
- ``annual_return`` = ``(E_k / E_0) ** (P / k) - 1`` (compound annual growth), fraction per year.
- ``sharpe`` = ``mean(r) / std(r, ddof=1) * sqrt(P)``, annualised; 0 when k < 2 or ``std(r) == 0``.
- ``sortino`` = ``mean(r) / sqrt(mean(min(r, 0) ** 2)) * sqrt(P)`` (downside deviation against 0 over
  all k steps), annualised; without a losing step: +inf if ``mean(r) > 0``, else 0.
- ``max_drawdown`` = ``max_i (1 - E_i / max_{j <= i} E_j)``, a positive fraction (0.25 is a 25 % fall).
- ``calmar`` = ``annual_return / max_drawdown``; without drawdown: +inf if ``annual_return > 0``, else 0.
- ``win_rate`` = trades with profit > 0 / trades, fraction; 0 without trades.
- ``profit_factor`` = sum of the winning trades' profits / -(sum of the losing trades' profits); without
  a losing trade: +inf if any trade won, else 0.
- ``avg_trade_profit_quote`` = mean profit of a trade, quote currency; 0 without trades.
- ``n_trades`` = number of trades (a float, like every value).
- ``exposure`` = ``mean_i EXPOSURE_LEVELS[level_i]``: the mean target fraction of equity held in the
  base asset over the steps (1 for buy & hold, 0 for flat).
- ``turnover`` = notional traded (``|position change| * reference open`` summed over the orders) /
  mean equity ``mean(E_0 .. E_k)``: how many times the average equity changed hands.
- ``costs_quote`` = everything paid to trade, quote currency: exchange fees plus half-spread and slippage
  against the reference open, as :meth:`~huracan.trading.costs.CostModel.rebalance` reports it (the
  env's ``costs_quote``).

Infinite values are kept (they compare correctly); a JSON writer must map them (``json.dumps`` writes
``Infinity``, which strict parsers reject).

**A trade** is a round trip: it opens with the order that takes the account from flat (level 0) to any
exposure and closes with the order that brings it back to flat; orders that only change the level in
between (0.4 -> 1.0) belong to the same trade. Its profit is the change of equity from the close
before its opening order to the close after its closing order, so it includes every cost of its
orders. A trade still open at the end of the window counts, marked at the last close. Equity does
not move while flat, so the trades' profits add up to ``E_k - E_0``. An *order* is one level change
(what the env counts as ``orders``); :func:`count_orders` counts them.
"""

from __future__ import annotations

import math

import numpy as np

from huracan.features.observation import EXPOSURE_LEVELS
from huracan.timeframes import DAY_MS, Timeframe

YEAR_MS: int = 365 * DAY_MS
"""One year of round-the-clock trading, ms (365 days)."""

METRIC_KEYS: tuple[str, ...] = (
    "total_return",
    "annual_return",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown",
    "win_rate",
    "profit_factor",
    "avg_trade_profit_quote",
    "n_trades",
    "exposure",
    "turnover",
    "costs_quote",
)
"""The keys of :func:`compute_metrics`' dict, in this order."""

_LEVEL_FRACS = np.array(EXPOSURE_LEVELS, dtype=np.float64)


def periods_per_year(timeframe: Timeframe) -> float:
    """Steps of ``timeframe`` in a 365-day year (8760.0 for 1h)."""
    return YEAR_MS / timeframe.ms


def max_drawdown(equity_quote: np.ndarray) -> float:
    """Largest fall from a running peak, as a positive fraction of that peak (0 for a rising curve)."""
    equity = np.asarray(equity_quote, dtype=np.float64)
    if len(equity) == 0:
        return 0.0
    return float(np.max(1.0 - equity / np.maximum.accumulate(equity)))


def drawdown_curve(equity_quote: np.ndarray) -> np.ndarray:
    """``1 - E_i / max_{j <= i} E_j`` for every point of the curve: fractions >= 0."""
    equity = np.asarray(equity_quote, dtype=np.float64)
    return 1.0 - equity / np.maximum.accumulate(equity)


def order_steps(levels: np.ndarray) -> np.ndarray:
    """Indices of the steps that place an order: the level differs from the previous step's (level 0 before
    the first step)."""
    levels = np.asarray(levels)
    return np.flatnonzero(np.diff(levels, prepend=0) != 0)


def count_orders(levels: np.ndarray) -> int:
    """Number of orders (level changes, starting from flat) along ``levels``."""
    return len(order_steps(levels))


def trade_profits(equity_quote: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Profit (quote currency) of every trade (round trip from flat to flat, see the module doc).

    :param equity_quote: (k+1,) equity, ``equity_quote[i+1]`` marked after step i.
    :param levels: (k,) level held after each step's decision.
    """
    equity = np.asarray(equity_quote, dtype=np.float64)
    invested = np.asarray(levels) != 0
    if len(equity) != len(invested) + 1:
        raise ValueError(f"equity must have one more point than levels, got {len(equity)} and {len(invested)}")
    change = np.diff(invested.astype(np.int8), prepend=np.int8(0))
    opens = np.flatnonzero(change == 1)  # step that opens: profit measured from equity[open]
    closes = np.flatnonzero(change == -1)  # step that closes: profit measured to equity[close + 1]
    ends = np.append(closes + 1, len(equity) - 1) if len(closes) < len(opens) else closes + 1
    return equity[ends] - equity[opens]


def compute_metrics(
    equity_quote: np.ndarray,
    levels: np.ndarray,
    timeframe: Timeframe,
    costs_quote: float = 0.0,
    traded_quote: float = 0.0,
) -> dict[str, float]:
    """All the metrics of :data:`METRIC_KEYS` (formulas in the module doc), as Python floats.

    :param equity_quote: (k+1,) equity curve, quote currency, every point > 0; ``equity_quote[0]`` is
        the starting equity.
    :param levels: (k,) exposure level index (0..5) held after each step's decision.
    :param timeframe: the length of a step, for annualising.
    :param costs_quote: trading costs paid over the curve, quote currency, >= 0.
    :param traded_quote: notional traded over the curve at the reference prices, quote currency, >= 0.
    """
    equity = np.asarray(equity_quote, dtype=np.float64)
    levels = np.asarray(levels)
    k = len(levels)
    if equity.ndim != 1 or len(equity) != k + 1:
        raise ValueError(f"equity must be 1-D with one more point than levels, got {equity.shape} and {levels.shape}")
    if not np.all(equity > 0.0):
        raise ValueError("equity must be positive at every point")
    ppy = periods_per_year(timeframe)
    growth = equity[-1] / equity[0]
    total_return = growth - 1.0
    with np.errstate(over="ignore"):  # a big gain over a few candles compounds to +inf a year
        annual_return = float(np.power(growth, ppy / k)) - 1.0 if k else 0.0
    returns = equity[1:] / equity[:-1] - 1.0
    mean = float(returns.mean()) if k else 0.0
    std = float(returns.std(ddof=1)) if k >= 2 else 0.0
    sharpe = mean / std * math.sqrt(ppy) if std > 0.0 else 0.0
    downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2))) if k else 0.0
    if downside > 0.0:
        sortino = mean / downside * math.sqrt(ppy)
    else:
        sortino = math.inf if mean > 0.0 else 0.0
    mdd = max_drawdown(equity)
    if mdd > 0.0:
        calmar = annual_return / mdd
    else:
        calmar = math.inf if annual_return > 0.0 else 0.0
    profits = trade_profits(equity, levels)
    n_trades = len(profits)
    gross_profit = float(profits[profits > 0.0].sum())
    gross_loss = float(-profits[profits < 0.0].sum())
    if gross_loss > 0.0:
        profit_factor = gross_profit / gross_loss
    else:
        profit_factor = math.inf if gross_profit > 0.0 else 0.0
    return {
        "total_return": float(total_return),
        "annual_return": float(annual_return),
        "sharpe": float(sharpe),
        "sortino": float(sortino),
        "calmar": float(calmar),
        "max_drawdown": mdd,
        "win_rate": float(np.count_nonzero(profits > 0.0) / n_trades) if n_trades else 0.0,
        "profit_factor": float(profit_factor),
        "avg_trade_profit_quote": float(profits.mean()) if n_trades else 0.0,
        "n_trades": float(n_trades),
        "exposure": float(_LEVEL_FRACS[levels].mean()) if k else 0.0,
        "turnover": float(traded_quote / equity.mean()),
        "costs_quote": float(costs_quote),
    }


def mean_metrics(runs: list[dict[str, float]]) -> dict[str, float]:
    """Key-by-key mean of several runs' metrics (e.g. the random agent's seeds); an infinite value in
    any run makes that key's mean infinite."""
    if not runs:
        raise ValueError("need at least one run to average")
    return {key: float(np.mean([run[key] for run in runs])) for key in METRIC_KEYS}

"""The baselines every backtest is reported against, replayed on the same window with the same cost model.

Each rule decides at the close of row t and fills at the next open, like the model:

- ``buy_and_hold``: level 5 (all in) at every row: one buy at the first open, held to the end.
- ``flat``: level 0 at every row: never trades, equity constant.
- ``sma_crossover``: all in (level 5) while the 20-candle simple moving average of the closes is above
  the 50-candle one, else flat (level 0); both averages use closes of rows ``<= t`` only.
- ``random``: a level drawn uniformly from 0..5 at every row, independent of everything; the mean over
  seeds (default 0, 1, 2, 3, 4), each seed a ``numpy.random.default_rng(seed)`` drawing all the
  window's levels at once.

The random agent is what an untrained policy does: it trades on most candles, so with costs on it
mostly measures the cost of churning. Its :class:`~huracan.trading.backtest.BacktestResult` holds the
metrics averaged key by key over the seeds, the seeds' equity curves averaged point by point (a ruined
seed's curve is held at its last value), the first seed's levels and costs (padded with its last level
and no cost if it was ruined), and each seed's own result in ``runs``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from huracan.features.observation import N_POSITIONS
from huracan.trading.backtest import BacktestResult, check_window, replay_levels, window_times_ms
from huracan.trading.config import EnvConfig
from huracan.trading.market_data import MarketData
from huracan.trading.metrics import mean_metrics

SMA_FAST_ROWS: int = 20
"""Window of the fast moving average of the SMA crossover, candles."""
SMA_SLOW_ROWS: int = 50
"""Window of the slow moving average of the SMA crossover, candles."""
RANDOM_SEEDS: tuple[int, ...] = (0, 1, 2, 3, 4)
"""Seeds of the random agent."""
BASELINE_NAMES: tuple[str, ...] = ("buy_and_hold", "flat", "sma_crossover", "random")


def buy_and_hold(data: MarketData, start_row: int, end_row: int, config: EnvConfig) -> BacktestResult:
    """All in at the first open of the window, held to the end."""
    check_window(data, start_row, end_row)
    return replay_levels(data, np.full(end_row - start_row, N_POSITIONS - 1), start_row, config, "buy_and_hold")


def flat(data: MarketData, start_row: int, end_row: int, config: EnvConfig) -> BacktestResult:
    """All cash, no trade: equity stays at the initial capital."""
    check_window(data, start_row, end_row)
    return replay_levels(data, np.zeros(end_row - start_row, dtype=np.int64), start_row, config, "flat")


def sma(values: np.ndarray, window: int, end_row: int) -> np.ndarray:
    """Simple moving averages of ``values`` over ``window`` rows ending at each row ``< end_row``:
    out[t] = mean(values[t - window + 1 .. t]); NaN for the first ``window - 1`` rows."""
    if window < 1:
        raise ValueError(f"an SMA window must be >= 1 row, got {window}")
    out = np.full(end_row, np.nan)
    if end_row >= window:
        out[window - 1 :] = np.lib.stride_tricks.sliding_window_view(values[:end_row], window).mean(axis=1)
    return out


def sma_crossover_levels(
    close_quote: np.ndarray, start_row: int, end_row: int, fast: int = SMA_FAST_ROWS, slow: int = SMA_SLOW_ROWS
) -> np.ndarray:
    """Levels of the SMA crossover for rows ``start_row .. end_row - 1``: 5 where ``SMA(fast) > SMA(slow)``
    (both over closes up to the row), else 0 (also where the slow average is not yet defined)."""
    if not 1 <= fast < slow:
        raise ValueError(f"need 1 <= fast < slow SMA windows, got fast={fast}, slow={slow}")
    lo = max(0, start_row - slow + 1)  # only the closes the window's averages need
    part = close_quote[lo:end_row]
    above = sma(part, fast, len(part)) > sma(part, slow, len(part))  # NaN compares False: flat
    return np.where(above[start_row - lo :], N_POSITIONS - 1, 0).astype(np.int64)


def sma_crossover(
    data: MarketData,
    start_row: int,
    end_row: int,
    config: EnvConfig,
    fast: int = SMA_FAST_ROWS,
    slow: int = SMA_SLOW_ROWS,
) -> BacktestResult:
    """All in while the ``fast``-candle SMA of the closes is above the ``slow``-candle SMA, else flat."""
    check_window(data, start_row, end_row)
    levels = sma_crossover_levels(data.close_quote, start_row, end_row, fast, slow)
    return replay_levels(data, levels, start_row, config, "sma_crossover")


def random_agent(
    data: MarketData, start_row: int, end_row: int, config: EnvConfig, seeds: Sequence[int] = RANDOM_SEEDS
) -> BacktestResult:
    """Uniformly random levels, one seed per run; the mean over ``seeds`` (see the module doc)."""
    check_window(data, start_row, end_row)
    if len(seeds) == 0:
        raise ValueError("the random agent needs at least one seed")
    k = end_row - start_row
    runs = []
    for seed in seeds:
        rng = np.random.default_rng(int(seed))
        levels = rng.integers(0, N_POSITIONS, size=k, dtype=np.int64)
        runs.append(replay_levels(data, levels, start_row, config, f"random_seed{int(seed)}"))
    curves = np.empty((len(runs), k + 1))
    for i, run in enumerate(runs):
        n = len(run.equity_quote)
        curves[i, :n] = run.equity_quote
        curves[i, n:] = run.equity_quote[-1]
    first = runs[0]
    levels = np.full(k, first.levels[-1], dtype=np.int64)
    levels[: first.n_steps] = first.levels
    costs = np.zeros(k)
    costs[: first.n_steps] = first.costs_quote
    return BacktestResult(
        name="random",
        times_ms=window_times_ms(data, start_row, k),
        equity_quote=curves.mean(axis=0),
        levels=levels,
        metrics=mean_metrics([run.metrics for run in runs]),
        costs_quote=costs,
        start_row=start_row,
        ruined=all(run.ruined for run in runs),
        runs=tuple(runs),
    )


def run_baselines(
    data: MarketData,
    start_row: int,
    end_row: int,
    config: EnvConfig,
    random_seeds: Sequence[int] = RANDOM_SEEDS,
) -> dict[str, BacktestResult]:
    """All baselines on decision rows ``start_row .. end_row - 1``, keyed by :data:`BASELINE_NAMES`."""
    return {
        "buy_and_hold": buy_and_hold(data, start_row, end_row, config),
        "flat": flat(data, start_row, end_row, config),
        "sma_crossover": sma_crossover(data, start_row, end_row, config),
        "random": random_agent(data, start_row, end_row, config, random_seeds),
    }

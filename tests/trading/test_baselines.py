"""Baselines: buy & hold, flat, SMA crossover and the random agent, on simulated candles."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from huracan.market.emulator.simulated import SimulatedSeries
from huracan.timeframes import Timeframe
from huracan.trading.backtest import window_rows
from huracan.trading.baselines import (
    BASELINE_NAMES,
    RANDOM_SEEDS,
    SMA_FAST_ROWS,
    SMA_SLOW_ROWS,
    buy_and_hold,
    flat,
    random_agent,
    run_baselines,
    sma_crossover,
    sma_crossover_levels,
)
from huracan.trading.config import EnvConfig
from huracan.trading.market_data import MarketData
from huracan.trading.metrics import METRIC_KEYS, mean_metrics

HOUR = Timeframe.parse("1h")
CONFIG = EnvConfig()


@functools.cache
def market() -> MarketData:
    series = SimulatedSeries(11, "BTC/USDT", HOUR, 1_609_459_200_000)
    n = 1500
    columns = series.columns(0, n)
    index = pd.to_datetime(series.origin_ms + np.arange(n) * HOUR.ms, unit="ms", utc=True).rename("open_time")
    frame = pd.DataFrame({c: columns[c] for c in ("open", "high", "low", "close", "volume")}, index=index)
    return MarketData.from_candles(frame, HOUR)


def test_buy_and_hold_is_the_asset_minus_one_entry_cost() -> None:
    data = market()
    start, end = window_rows(data)
    result = buy_and_hold(data, start, end, CONFIG)
    costs = CONFIG.costs
    ref = data.open_quote[start + 1]
    qty = CONFIG.initial_equity_quote / ref  # the intended order, base: slippage is priced on it
    slip = min(costs.slippage_coef * np.sqrt(qty / data.volume_base[start]), costs.max_slippage_frac)
    entry = ref * (1 + costs.half_spread_frac + slip) * (1 + costs.taker_fee_frac)  # quote paid per base bought
    held = CONFIG.initial_equity_quote / entry * data.close_quote[start + 1 : end + 1]
    np.testing.assert_allclose(result.equity_quote[1:], held, rtol=1e-12)
    assert result.n_orders == 1 and result.metrics["n_trades"] == 1.0
    assert result.metrics["exposure"] == 1.0
    assert result.metrics["costs_quote"] == result.costs_quote[0] > 0.0
    assert result.metrics["total_return"] == pytest.approx(data.close_quote[end] / entry - 1.0, rel=1e-12)


def test_flat_is_constant_equity_without_trades() -> None:
    data = market()
    result = flat(data, 300, 1400, CONFIG)
    assert (result.equity_quote == CONFIG.initial_equity_quote).all()
    assert result.n_orders == 0
    assert result.metrics == dict.fromkeys(METRIC_KEYS, 0.0)


def test_sma_crossover_follows_the_moving_averages() -> None:
    data = market()
    start, end = 400, 1400
    close = pd.Series(data.close_quote)
    above = close.rolling(SMA_FAST_ROWS).mean() > close.rolling(SMA_SLOW_ROWS).mean()
    expected = np.where(above.to_numpy()[start:end], 5, 0)
    np.testing.assert_array_equal(sma_crossover_levels(data.close_quote, start, end), expected)
    result = sma_crossover(data, start, end, CONFIG)
    np.testing.assert_array_equal(result.levels, expected)
    entries = int(np.count_nonzero(np.diff(expected, prepend=0) == 5))
    assert result.metrics["n_trades"] == entries > 3
    assert result.metrics["exposure"] == pytest.approx(expected.mean() / 5)
    # Averages use closes up to the decision row only: changing later closes changes nothing before.
    later = data.close_quote.copy()
    later[900:] *= 3.0
    np.testing.assert_array_equal(sma_crossover_levels(later, start, 900), expected[: 900 - start])
    # Before the slow average exists the rule is flat.
    np.testing.assert_array_equal(sma_crossover_levels(data.close_quote, 0, SMA_SLOW_ROWS - 1), 0)
    with pytest.raises(ValueError, match="fast < slow"):
        sma_crossover_levels(data.close_quote, start, end, fast=50, slow=20)


def test_random_agent_is_the_mean_of_its_seeds_and_deterministic() -> None:
    data = market()
    start, end = 500, 1300
    result = random_agent(data, start, end, CONFIG)
    again = random_agent(data, start, end, CONFIG)
    assert result.equity_quote.tobytes() == again.equity_quote.tobytes()
    assert result.metrics == again.metrics
    assert [run.name for run in result.runs] == [f"random_seed{s}" for s in RANDOM_SEEDS]
    assert result.metrics == mean_metrics([run.metrics for run in result.runs])
    np.testing.assert_allclose(result.equity_quote, np.mean([run.equity_quote for run in result.runs], axis=0))
    assert len({run.equity_quote[-1] for run in result.runs}) == len(RANDOM_SEEDS)  # the seeds differ
    assert result.metrics["n_trades"] > 10
    other = random_agent(data, start, end, CONFIG, seeds=(42,))
    assert len(other.runs) == 1 and other.metrics == other.runs[0].metrics
    with pytest.raises(ValueError, match="seed"):
        random_agent(data, start, end, CONFIG, seeds=())


def test_random_agent_averages_ruined_seeds_over_the_whole_window() -> None:
    data = market()
    config = EnvConfig(ruin_equity_frac=0.95)  # ruin after a 5 % loss: random churning gets there
    result = random_agent(data, 300, 1400, config, seeds=(0, 1))
    assert all(run.ruined for run in result.runs) and result.ruined
    assert result.n_steps == 1100 and len(result.equity_quote) == 1101
    assert result.equity_quote[-1] == pytest.approx(np.mean([run.equity_quote[-1] for run in result.runs]))


def test_run_baselines_on_the_same_window() -> None:
    data = market()
    start, end = window_rows(data)
    results = run_baselines(data, start, end, CONFIG, random_seeds=(0, 1))
    assert tuple(results) == BASELINE_NAMES
    for name, result in results.items():
        assert result.name == name
        assert result.start_row == start and result.n_steps == end - start
        assert result.times_ms.tobytes() == results["flat"].times_ms.tobytes()
        assert list(result.metrics) == list(METRIC_KEYS)

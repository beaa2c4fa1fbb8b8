"""The backtest replay: the env's accounting bit for bit, determinism, windows and validation."""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from huracan.market.emulator.simulated import SimulatedSeries
from huracan.timeframes import Timeframe
from huracan.trading.backtest import BacktestResult, replay, walk_levels, window_rows
from huracan.trading.config import EnvConfig
from huracan.trading.costs import CostModel
from huracan.trading.env import TradingEnv
from huracan.trading.market_data import MarketData
from huracan.trading.metrics import METRIC_KEYS

HOUR = Timeframe.parse("1h")
N_CANDLES = 1200


def simulated_frame(n: int, seed: int = 7, timeframe: Timeframe = HOUR) -> pd.DataFrame:
    """``n`` simulated BTC/USDT candles from 2021-01-01 as a candle frame."""
    series = SimulatedSeries(seed, "BTC/USDT", timeframe, 1_609_459_200_000)
    columns = series.columns(0, n)
    index = pd.to_datetime(series.origin_ms + np.arange(n) * timeframe.ms, unit="ms", utc=True).rename("open_time")
    return pd.DataFrame({c: columns[c] for c in ("open", "high", "low", "close", "volume")}, index=index)


@functools.cache
def market() -> MarketData:
    return MarketData.from_candles(simulated_frame(N_CANDLES), "1h")


def random_table(seed: int, n_rows: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 6, size=(n_rows, 6))


def step_env(data: MarketData, table: np.ndarray, start: int, end: int, config: EnvConfig) -> dict:
    """Step a TradingEnv from ``start`` with ``table[t, level]`` until it ends; its equity, levels, info."""
    env = TradingEnv(
        data,
        EnvConfig(
            initial_equity_quote=config.initial_equity_quote,
            episode_length=end - start,
            random_start=False,
            costs=config.costs,
            ruin_equity_frac=config.ruin_equity_frac,
        ),
    )
    _, info = env.reset(options={"start_row": start})
    equity, levels, level = [info["equity_quote"]], [], 0
    for t in range(start, end):
        _, _, terminated, truncated, info = env.step(int(table[t, level]))
        level = info["level"]
        equity.append(info["equity_quote"])
        levels.append(level)
        if terminated or truncated:
            break
    return {"equity": np.array(equity), "levels": np.array(levels), "info": info, "terminated": terminated}


@pytest.mark.parametrize(
    ("seed", "window", "config"),
    [
        (0, None, EnvConfig()),
        (1, (400, 900), EnvConfig(initial_equity_quote=1_000_000.0, ruin_equity_frac=0.0)),
        (2, (300, 1100), EnvConfig(costs=CostModel(taker_fee_frac=0.004, spread_frac=0.002), ruin_equity_frac=0.5)),
    ],
    ids=["whole-range", "sub-window-large-capital", "ruin"],
)
def test_replay_equals_the_env_stepped_with_the_same_actions(
    seed: int, window: tuple[int, int] | None, config: EnvConfig
) -> None:
    data = market()
    start, end = window or window_rows(data)
    table = random_table(seed, data.n_rows)  # decisions depend on the position: a real walk
    result = replay(data, table, start, end, config)
    env = step_env(data, table, start, end, config)
    np.testing.assert_array_equal(result.equity_quote, env["equity"])  # bit for bit
    np.testing.assert_array_equal(result.levels, env["levels"])
    assert result.metrics["costs_quote"] == env["info"]["costs_quote"]
    assert result.n_orders == env["info"]["orders"]
    assert result.ruined == env["terminated"]
    if config.ruin_equity_frac == 0.5:
        assert result.ruined and result.n_steps < end - start  # the case really stops early
    else:
        assert result.n_steps == end - start


def test_replay_is_deterministic() -> None:
    table = random_table(3, N_CANDLES)
    first = replay(market(), table, *window_rows(market()), EnvConfig(ruin_equity_frac=0.0))
    rebuilt = MarketData.from_candles(simulated_frame(N_CANDLES), "1h")
    second = replay(rebuilt, table.copy(), *window_rows(rebuilt), EnvConfig(ruin_equity_frac=0.0))
    assert first.equity_quote.tobytes() == second.equity_quote.tobytes()
    assert first.times_ms.tobytes() == second.times_ms.tobytes()
    np.testing.assert_array_equal(first.levels, second.levels)
    assert first.metrics == second.metrics


def test_result_layout() -> None:
    data = market()
    start, end = 500, 600
    result = replay(data, random_table(4, data.n_rows), start, end, EnvConfig(), name="challenger")
    assert isinstance(result, BacktestResult)
    assert result.name == "challenger"
    assert result.start_row == start
    assert result.times_ms.dtype == np.int64 and result.equity_quote.dtype == np.float64
    assert result.levels.dtype == np.int64 and result.levels.shape == (100,)
    assert result.equity_quote[0] == EnvConfig().initial_equity_quote
    # The first mark is the close of the first decision row; then one candle per step.
    assert result.times_ms[0] == data.open_time_ms[start] + HOUR.ms
    assert (np.diff(result.times_ms) == HOUR.ms).all()
    assert list(result.metrics) == list(METRIC_KEYS)
    assert result.costs_quote.shape == (100,)
    assert result.costs_quote.sum() == pytest.approx(result.metrics["costs_quote"])
    assert (result.costs_quote[np.diff(result.levels, prepend=0) == 0] == 0).all()
    with pytest.raises(ValueError):
        result.equity_quote[0] = 1.0  # read-only


def test_position_independent_tables_skip_the_walk_but_agree() -> None:
    rows = np.random.default_rng(5).integers(0, 6, size=50)
    same = np.repeat(rows[:, None], 6, axis=1)
    np.testing.assert_array_equal(walk_levels(same, 0, 50), rows)
    table = same.copy()
    table[10, 3] = (table[10, 3] + 1) % 6  # one position-dependent entry forces the walk
    walked = walk_levels(table, 0, 50)
    expected, level = [], 0
    for t in range(50):
        level = int(table[t, level])
        expected.append(level)
    np.testing.assert_array_equal(walked, expected)


def test_window_rows() -> None:
    data = market()
    assert window_rows(data) == (data.first_row, data.n_rows - 1)
    decision_ms = data.open_time_ms + HOUR.ms
    assert window_rows(data, int(decision_ms[700]), None) == (700, data.n_rows - 1)
    assert window_rows(data, int(decision_ms[700]) - 1, int(decision_ms[800])) == (700, 800)  # end exclusive
    assert window_rows(data, int(decision_ms[700]) + 1, int(decision_ms[800]) + 1) == (701, 801)
    assert window_rows(data, 0, int(decision_ms[400])) == (data.first_row, 400)  # clipped to the warm-up
    with pytest.raises(ValueError, match="no decision row"):
        window_rows(data, int(decision_ms[800]), int(decision_ms[800]))
    with pytest.raises(ValueError, match="no decision row"):
        window_rows(data, int(decision_ms[-1]) + HOUR.ms, None)


def test_bad_inputs_raise() -> None:
    data = market()
    table = random_table(6, data.n_rows)
    config = EnvConfig()
    with pytest.raises(ValueError, match="start_row"):
        replay(data, table, data.first_row - 1, 600, config)
    with pytest.raises(ValueError, match="start_row"):
        replay(data, table, 600, data.n_rows, config)  # the last decision needs a next candle
    with pytest.raises(ValueError, match="start_row"):
        replay(data, table, 600, 600, config)
    with pytest.raises(ValueError, match="shape"):
        replay(data, table[:, :5], 500, 600, config)
    with pytest.raises(ValueError, match="shape"):
        replay(data, table[:-1], 500, 600, config)
    bad = table.copy()
    bad[550, 2] = 6
    with pytest.raises(ValueError, match=r"0\.\.5"):
        replay(data, bad, 500, 600, config)
    with pytest.raises(ValueError, match="integers"):
        replay(data, table.astype(float), 500, 600, config)
    timeless = MarketData(data.features, data.open_quote, data.close_quote, data.volume_base, data.timeframe)
    with pytest.raises(ValueError, match="open times"):
        window_rows(timeless)


@settings(max_examples=40, deadline=None)
@given(
    start=st.integers(300, 1100),
    table=hnp.arrays(np.int64, (60, 6), elements=st.integers(0, 5)),
    ruin=st.sampled_from([0.0, 0.1, 0.9]),
)
def test_any_action_table_keeps_equity_positive_and_costs_non_negative(
    start: int, table: np.ndarray, ruin: float
) -> None:
    data = market()
    end = min(start + 60, data.n_rows - 1)
    full = np.zeros((data.n_rows, 6), dtype=np.int64)
    full[start:end] = table[: end - start]
    result = replay(data, full, start, end, EnvConfig(ruin_equity_frac=ruin))
    assert (result.equity_quote > 0.0).all()
    assert result.metrics["costs_quote"] >= 0.0 and (result.costs_quote >= 0.0).all()
    assert 1 <= result.n_steps <= end - start
    ruin_quote = ruin * EnvConfig().initial_equity_quote
    assert (result.equity_quote[1:-1] > ruin_quote).all()  # stops at the first step at or below ruin
    if result.ruined:
        assert result.equity_quote[-1] <= ruin_quote
    else:
        assert result.n_steps == end - start
    assert math.isfinite(result.metrics["total_return"])
    # Trade profits add up to the equity change (flat periods do not move equity).
    total = result.metrics["avg_trade_profit_quote"] * result.metrics["n_trades"]
    assert math.isclose(total, result.equity_quote[-1] - result.equity_quote[0], rel_tol=1e-9, abs_tol=1e-6)

"""Backtest metrics on equity curves computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huracan.timeframes import Timeframe
from huracan.trading.metrics import (
    METRIC_KEYS,
    compute_metrics,
    count_orders,
    drawdown_curve,
    max_drawdown,
    mean_metrics,
    periods_per_year,
    trade_profits,
)

DAY = Timeframe.parse("1d")
HOUR = Timeframe.parse("1h")

# A 5-point curve (4 daily steps): all in for two steps, flat for one, then 60 % invested.
EQUITY = np.array([100.0, 110.0, 99.0, 99.0, 108.9])
LEVELS = np.array([5, 5, 0, 3])


def test_periods_per_year_are_365_days_of_round_the_clock_trading() -> None:
    assert periods_per_year(HOUR) == 8760.0
    assert periods_per_year(DAY) == 365.0
    assert periods_per_year(Timeframe.parse("15m")) == 35040.0


def test_five_point_curve_by_hand() -> None:
    m = compute_metrics(EQUITY, LEVELS, DAY, costs_quote=1.5, traded_quote=206.76)
    assert list(m) == list(METRIC_KEYS)
    # Step returns: +10 %, -10 %, 0, +10 %.
    mean = (0.1 - 0.1 + 0.0 + 0.1) / 4  # 0.025
    sample_var = ((0.075**2) + (0.125**2) + (0.025**2) + (0.075**2)) / 3  # 0.0275 / 3
    downside = math.sqrt(0.1**2 / 4)  # only the -10 % step: sqrt(0.0025) = 0.05
    assert m["total_return"] == pytest.approx(0.089, rel=1e-12)
    annual = 1.089 ** (365 / 4) - 1
    assert m["annual_return"] == pytest.approx(annual, rel=1e-12)
    assert m["sharpe"] == pytest.approx(mean / math.sqrt(sample_var) * math.sqrt(365), rel=1e-12)
    assert m["sortino"] == pytest.approx(0.5 * math.sqrt(365), rel=1e-12)
    assert mean / downside == pytest.approx(0.5)
    assert m["max_drawdown"] == pytest.approx(0.1, rel=1e-12)  # 110 -> 99
    assert m["calmar"] == pytest.approx(annual / 0.1, rel=1e-12)
    # Trades: 100 -> 99 (opened step 0, closed step 2: -1), then 99 -> 108.9 (open at the end: +9.9).
    assert m["n_trades"] == 2.0
    assert m["win_rate"] == 0.5
    assert m["profit_factor"] == pytest.approx(9.9, rel=1e-12)
    assert m["avg_trade_profit_quote"] == pytest.approx(4.45, rel=1e-12)
    assert m["exposure"] == pytest.approx((1.0 + 1.0 + 0.0 + 0.6) / 4, rel=1e-12)
    assert m["turnover"] == pytest.approx(206.76 / 103.38, rel=1e-12)  # mean equity 103.38
    assert m["costs_quote"] == 1.5
    assert all(type(v) is float for v in m.values())


def test_trade_profits_and_orders() -> None:
    np.testing.assert_allclose(trade_profits(EQUITY, LEVELS), [-1.0, 9.9], rtol=1e-12)
    assert count_orders(LEVELS) == 3  # 0 -> 5, 5 -> 0, 0 -> 3
    assert count_orders(np.array([2, 4, 4, 1, 0, 0])) == 4  # one round trip of four orders
    assert len(trade_profits(np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]), np.array([2, 4, 4, 1, 0, 0]))) == 1


def test_flat_curve_has_zero_metrics() -> None:
    m = compute_metrics(np.full(6, 1000.0), np.zeros(5, dtype=int), HOUR)
    assert m == dict.fromkeys(METRIC_KEYS, 0.0)


def test_rising_curve_without_losses_is_infinite_where_undefined() -> None:
    m = compute_metrics(np.array([100.0, 101.0, 103.0, 104.0]), np.array([5, 5, 5]), DAY)
    assert m["max_drawdown"] == 0.0
    assert m["sortino"] == math.inf
    assert m["calmar"] == math.inf
    assert m["profit_factor"] == math.inf
    assert m["win_rate"] == 1.0
    assert m["n_trades"] == 1.0
    assert m["avg_trade_profit_quote"] == pytest.approx(4.0)


def test_one_step_curve() -> None:
    m = compute_metrics(np.array([100.0, 90.0]), np.array([5]), DAY)
    assert m["sharpe"] == 0.0  # no sample deviation from one return
    assert m["sortino"] == pytest.approx(-0.1 / 0.1 * math.sqrt(365))
    assert m["annual_return"] == pytest.approx(0.9**365 - 1)


def test_drawdown_curve() -> None:
    np.testing.assert_allclose(drawdown_curve(EQUITY), [0.0, 0.0, 0.1, 0.1, 0.01], atol=1e-15)
    assert max_drawdown(np.array([5.0, 4.0, 8.0, 2.0, 9.0])) == pytest.approx(0.75)


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="one more point"):
        compute_metrics(EQUITY, LEVELS[:3], DAY)
    with pytest.raises(ValueError, match="positive"):
        compute_metrics(np.array([1.0, 0.0]), np.array([5]), DAY)
    with pytest.raises(ValueError, match="at least one"):
        mean_metrics([])


def test_mean_metrics_averages_key_by_key() -> None:
    a = compute_metrics(EQUITY, LEVELS, DAY)
    b = compute_metrics(np.full(5, 100.0), np.zeros(4, dtype=int), DAY)
    mean = mean_metrics([a, b])
    for key in METRIC_KEYS:
        assert mean[key] == pytest.approx((a[key] + b[key]) / 2)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-0.2, 0.2), st.integers(0, 5)), min_size=1, max_size=40))
def test_trade_profits_add_up_to_the_equity_change(steps: list[tuple[float, int]]) -> None:
    # Equity only moves while invested, as in a replay.
    equity = [1000.0]
    for ret, level in steps:
        equity.append(equity[-1] * (1.0 + ret) if level else equity[-1])
    levels = np.array([level for _, level in steps])
    profits = trade_profits(np.array(equity), levels)
    assert math.isclose(profits.sum(), equity[-1] - equity[0], rel_tol=1e-9, abs_tol=1e-9)
    m = compute_metrics(np.array(equity), levels, HOUR)
    assert 0.0 <= m["max_drawdown"] < 1.0
    assert 0.0 <= m["win_rate"] <= 1.0
    assert 0.0 <= m["exposure"] <= 1.0

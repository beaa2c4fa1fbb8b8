"""The model watch's numbers on hand-made inputs: action distance, feature drift, slippage ratio, thresholds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huracan.health.watch import (
    ACTIONS,
    FEATURES,
    SLIPPAGE,
    FillSlippage,
    Thresholds,
    Watch,
    action_frequencies,
    drift_fraction,
    fill_slippage,
    slippage_ratio,
    total_variation,
)
from huracan.trading.costs import BUY, SELL, CostModel


def test_action_frequencies_count_each_level() -> None:
    assert action_frequencies([0, 0, 5, 2]).tolist() == [0.5, 0.0, 0.25, 0.0, 0.0, 0.25]
    with pytest.raises(ValueError, match="no action"):
        action_frequencies([])
    with pytest.raises(ValueError, match=r"0\.\.5"):
        action_frequencies([6])


def test_total_variation_of_known_distributions() -> None:
    assert total_variation([1, 0, 0], [1, 0, 0]) == 0.0
    assert total_variation([1, 0, 0], [0, 0, 1]) == 1.0
    # live: always flat; backtest: flat half the time, all in the other half
    assert total_variation(action_frequencies([0] * 8), [0.5, 0, 0, 0, 0, 0.5]) == pytest.approx(0.5)
    assert total_variation([0.2, 0.3, 0.5], [0.3, 0.3, 0.4]) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="not a distribution"):
        total_variation([0.5, 0.6], [0.5, 0.5])
    with pytest.raises(ValueError, match="shapes"):
        total_variation([1.0], [0.5, 0.5])


@given(st.lists(st.integers(0, 5), min_size=1, max_size=50), st.lists(st.integers(0, 5), min_size=1, max_size=50))
def test_total_variation_is_a_symmetric_distance_in_0_1(a: list[int], b: list[int]) -> None:
    p, q = action_frequencies(a), action_frequencies(b)
    d = total_variation(p, q)
    assert 0.0 <= d <= 1.0 + 1e-12
    assert d == pytest.approx(total_variation(q, p))
    assert total_variation(p, p) == 0.0


def test_drift_fraction_counts_features_outside_the_range() -> None:
    low, high = np.zeros(4), np.ones(4)
    assert drift_fraction(np.array([0.0, 0.5, 1.0, 0.2]), low, high) == 0.0  # bounds are inside
    assert drift_fraction(np.array([-0.1, 0.5, 1.5, 0.2]), low, high) == 0.5
    assert drift_fraction(np.array([np.nan, 0.5, 0.5, 0.5]), low, high) == 0.25  # NaN is outside
    with pytest.raises(ValueError, match="ranges of 3"):
        drift_fraction(np.zeros(4), np.zeros(3), np.ones(3))


def test_fill_slippage_against_the_cost_model() -> None:
    costs = CostModel(spread_frac=0.001, slippage_coef=0.01)
    # 1 BTC against a candle of 100 BTC: impact 0.01 * sqrt(0.01) = 0.001, plus half the spread 0.0005
    buy = fill_slippage(costs, BUY, 1.0, 100.3, 100.0, 100.0)
    assert buy.notional_quote == pytest.approx(100.0)
    assert buy.expected_frac == pytest.approx(0.0015)
    assert buy.realised_frac == pytest.approx(0.003)
    sell = fill_slippage(costs, SELL, 1.0, 99.85, 100.0, 100.0)  # a sell below its reference slipped
    assert sell.realised_frac == pytest.approx(0.0015)
    # notional weighted: (100 * 0.003 + 100 * 0.0015) / (100 * 0.0015 + 100 * 0.0015) = 1.5
    assert slippage_ratio([buy, sell]) == pytest.approx(1.5)
    assert slippage_ratio([]) is None
    assert slippage_ratio([FillSlippage(100.0, 0.0, 0.0)]) is None
    with pytest.raises(ValueError, match="side"):
        fill_slippage(costs, 0, 1.0, 100.0, 100.0, 100.0)


def test_a_paper_fill_of_the_cost_model_slips_as_expected() -> None:
    costs = CostModel()
    fill = costs.fill(BUY, 2.0, 30_000.0, 50.0)
    measured = fill_slippage(costs, BUY, 2.0, fill.price_quote, 30_000.0, 50.0)
    assert slippage_ratio([measured]) == pytest.approx(1.0)


def test_crossed_names_each_threshold_exceeded_and_zero_switches_a_check_off() -> None:
    watch = Watch(live_decisions=30, action_tv=0.6, drift_frac=0.3, fills=5, slippage_ratio=3.5)
    crossed = watch.crossed(Thresholds(action_max_tv=0.5, drift_max_frac=0.25, slippage_max_ratio=3.0))
    assert set(crossed) == {ACTIONS, FEATURES, SLIPPAGE}
    assert "0.60 (total variation)" in crossed[ACTIONS] and "30 live decisions" in crossed[ACTIONS]
    assert "30% of the observation's market features" in crossed[FEATURES]
    assert "3.50 times" in crossed[SLIPPAGE]
    assert watch.crossed(Thresholds(0.0, 0.0, 0.0)) == {}
    assert watch.crossed(Thresholds(0.6, 0.3, 3.5)) == {}  # at the threshold is not above it
    assert Watch().crossed(Thresholds()) == {}  # nothing measured, nothing crossed
    assert math.isclose(Thresholds().drift_max_frac, 0.25)

"""The analysis of a hand-made set of trades gives the known numbers."""

from __future__ import annotations

import numpy as np
import pytest

from huracan.memory.analysis import FEATURE_NAMES, analyze, holding_bucket
from huracan.memory.round_trips import RoundTrip


def trip(n: int, profit: float, holding_ms: int, trend: float, vol: float, version: str) -> RoundTrip:
    obs = np.zeros(len(FEATURE_NAMES), dtype=np.float32)
    obs[FEATURE_NAMES.index("dist_sma_96")] = trend
    obs[FEATURE_NAMES.index("rv_96")] = vol
    return RoundTrip(
        "paper",
        "BTC/USDT",
        "1h",
        "paper",
        n * 10**7,
        n * 10**7 + holding_ms,
        100.0,
        100.0,
        1.0,
        0.0,
        profit,
        profit / 100.0,
        holding_ms,
        0.0,
        0.0,
        "m",
        version,
        obs,
    )


TRIPS = [
    trip(1, 10.0, 3_600_000, 1.0, 1.0, "1"),
    trip(2, -5.0, 3_600_000, 1.0, 3.0, "1"),
    trip(3, 20.0, 7_200_000, -1.0, 1.0, "2"),
    trip(4, -15.0, 90_000_000, -1.0, 9.0, "2"),  # the odd one: huge volatility
]


def test_overall_numbers() -> None:
    overall = analyze(TRIPS)["overall"]
    assert overall["trades"] == 4 and overall["win_rate"] == 0.5
    assert overall["profit_factor"] == pytest.approx(30 / 20)
    assert overall["expectancy_quote"] == pytest.approx(10 / 4)
    assert overall["avg_win_quote"] == 15.0 and overall["avg_loss_quote"] == -10.0


def test_groups_and_losers() -> None:
    result = analyze(TRIPS)
    assert set(result["by_regime"]) == {
        "trend up / vol low",
        "trend up / vol high",
        "trend down / vol low",
        "trend down / vol high",
    }
    assert result["by_regime"]["trend down / vol high"]["total_profit_quote"] == -15.0
    assert result["by_holding_time"]["<=1h"]["trades"] == 2 and result["by_holding_time"][">1d"]["trades"] == 1
    assert result["by_model_version"]["m v2"]["total_profit_quote"] == 5.0
    worst = result["biggest_losers"][0]
    assert worst["profit_quote"] == -15.0 and worst["unusual_at_entry"][0]["feature"] == "rv_96"
    assert [loser["profit_quote"] for loser in result["biggest_losers"]] == [-15.0, -5.0]
    assert holding_bucket(14_400_000) == "<=4h"

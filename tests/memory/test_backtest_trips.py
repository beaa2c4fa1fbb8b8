"""A backtest's round trips are its replay's own fills: their profits add up to the replay's equity, entries
sit at the open after the deciding candle, and the entry observation is what the policy saw (flat)."""

from __future__ import annotations

import numpy as np
import pytest

from huracan.features.observation import observation
from huracan.features.synthetic import random_walk_candles
from huracan.memory.backtest_trips import backtest_account, backtest_round_trips
from huracan.trading.backtest import replay_levels
from huracan.trading.config import EnvConfig
from huracan.trading.market_data import MarketData


@pytest.fixture(scope="module")
def data() -> MarketData:
    return MarketData.from_candles(random_walk_candles(600, seed=3), "1h")


def test_the_trips_of_a_level_path_add_up_to_its_equity(data: MarketData) -> None:
    start = data.first_row
    # flat, all in, half, all in (adds), flat (trip 1); flat; 3/5 in, flat (trip 2); all in to the end (open)
    levels = np.array([0, 5, 5, 3, 5, 0, 0, 3, 3, 0, 5, 5], dtype=np.int64)
    result = replay_levels(data, levels, start, EnvConfig())
    first, second = backtest_round_trips(result, data, "BTC/USDT", model_name="m", model_version="4")
    assert first.account == second.account == "backtest:m/4" and first.source == "backtest"
    assert first.model_version == "4" and first.timeframe == "1h"
    times = data.open_time_ms
    assert times is not None
    assert (first.entry_ms, first.exit_ms) == (times[start + 2], times[start + 6])  # filled at the next open
    assert (second.entry_ms, second.exit_ms) == (times[start + 8], times[start + 10])
    # flat after trip 2 (step 9): the cash gained is exactly the two trips' profits
    equity_flat = result.equity_quote[10]
    assert first.profit_quote + second.profit_quote == pytest.approx(equity_flat - result.equity_quote[0], abs=1e-9)
    assert first.fees_quote == pytest.approx(result.costs_quote[[1, 3, 4, 5]].sum())
    assert first.mae_frac <= 0.0 <= first.mfe_frac
    assert first.entry_obs is not None
    np.testing.assert_array_equal(first.entry_obs, observation(data.features[start + 1, :77], 0))


def test_an_unregistered_model_and_a_rule_have_their_own_accounts() -> None:
    assert backtest_account(None, None, "abc123") == "backtest:run-abc123"
    assert backtest_account(None, None) == "backtest"

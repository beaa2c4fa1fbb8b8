"""PPO training: reproducibility, learning on a planted regularity, the median seed, bad configs (MLflow
logging and registration: ``tests/registry/test_training.py``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch
from stable_baselines3 import PPO

from huracan.errors import TrainingError
from huracan.market.emulator import MARKET_PRESETS
from huracan.market.emulator.frames import simulated_candles
from huracan.rl.batch_policy import policy_action_table
from huracan.rl.split import Window, walk_forward_split
from huracan.rl.train import TrainConfig, fit
from huracan.timeframes import Timeframe
from huracan.trading.backtest import BacktestResult, replay
from huracan.trading.baselines import run_baselines
from huracan.trading.config import EnvConfig
from huracan.trading.market_data import MarketData

torch.set_num_threads(1)
DAY = Timeframe.parse("1d")
PLANTED = MARKET_PRESETS["planted"]
SMALL = TrainConfig(timesteps=8192, n_envs=8, n_steps=128, batch_size=256, n_epochs=2, eval_every_rollouts=2)
"""A run of about a second, for tests that need a model, not a good one."""


def planted_frame(n: int, seed: int = 2) -> pd.DataFrame:
    return simulated_candles(n, seed, "BTC/USDT", DAY, params=PLANTED)


def backtest_on(model: PPO, data: MarketData, window: Window) -> BacktestResult:
    table = policy_action_table(model, data.features, window.start_row, window.end_row)
    return replay(data, table, window.start_row, window.end_row, EnvConfig())


@pytest.mark.slow
def test_same_data_config_and_seed_give_the_same_model_and_backtest() -> None:
    data = MarketData.from_candles(planted_frame(800), DAY)
    split = walk_forward_split(data)
    first, first_cb = fit(data, split, seed=7, train_config=SMALL)
    second, second_cb = fit(data, split, seed=7, train_config=SMALL)
    other, _ = fit(data, split, seed=8, train_config=SMALL)
    weights = [model.policy.state_dict() for model in (first, second, other)]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    assert not all(torch.equal(weights[0][k], weights[2][k]) for k in weights[0])
    assert first_cb.history == second_cb.history and first_cb.best_timesteps == second_cb.best_timesteps
    a, b = backtest_on(first, data, split.test), backtest_on(second, data, split.test)
    assert np.array_equal(a.equity_quote, b.equity_quote) and np.array_equal(a.levels, b.levels)
    assert a.metrics == b.metrics


@pytest.mark.slow
def test_a_short_run_learns_the_planted_trends_and_beats_the_baselines_out_of_sample() -> None:
    """The learning test: ~60k steps (a few seconds) must beat buy & hold and the random agent on the
    test window, which training never saw. The same run with learning rate 0 (the untrained policy)
    must not, so a broken learner fails this test."""
    data = MarketData.from_candles(planted_frame(2000), DAY)
    split = walk_forward_split(data)
    test = split.test
    baselines = run_baselines(data, test.start_row, test.end_row, EnvConfig())
    hold, rand = baselines["buy_and_hold"].metrics, baselines["random"].metrics
    config = TrainConfig(timesteps=61_440, learning_rate=1e-3, eval_every_rollouts=2)

    def beats_baselines(learning_rate: float) -> bool:
        model, _ = fit(data, split, seed=0, train_config=replace(config, learning_rate=learning_rate))
        result = backtest_on(model, data, test).metrics
        return all(result[key] > max(hold[key], rand[key]) for key in ("total_return", "sharpe"))

    assert hold["total_return"] > 0.5  # a rising market: beating buy & hold takes timing, not just sitting out
    assert beats_baselines(1e-3)
    assert not beats_baselines(0.0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"batch_size": 100}, "divide the rollout"),
        ({"selection_metric": "win_rate"}, "selection_metric"),
        ({"timesteps": 0}, "timesteps"),
        ({"variance_penalty": -1.0}, "variance_penalty must be finite and >= 0"),
        ({"variance_penalty": float("nan")}, "variance_penalty must be finite and >= 0"),
    ],
)
def test_bad_training_configs_say_what_to_change(changes: dict, message: str) -> None:
    with pytest.raises(TrainingError, match=message):
        TrainConfig(**changes)

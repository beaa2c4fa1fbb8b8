"""The ensemble of several policies decides by the mean of its members' action probabilities."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from stable_baselines3 import PPO

from huracan.features.observation import N_POSITIONS, observation
from huracan.market.emulator.frames import simulated_candles
from huracan.rl.batch_policy import ensemble_action_table, ensemble_probabilities, policy_action_table
from huracan.timeframes import Timeframe
from huracan.trading.config import EnvConfig
from huracan.trading.market_data import MarketData
from huracan.trading.vec_env import TradingVecEnv

torch.set_num_threads(1)
HOUR = Timeframe.parse("1h")


@pytest.fixture(scope="module")
def data() -> MarketData:
    return MarketData.from_candles(simulated_candles(900, 5, "BTC/USDT", HOUR, 1_609_459_200_000), HOUR)


@pytest.fixture(scope="module")
def members(data: MarketData) -> list[PPO]:
    """Three PPOs trained briefly from different seeds: they disagree on some decisions."""
    trained = []
    for seed in range(3):
        env = TradingVecEnv(data, 4, EnvConfig(episode_length=128))
        ppo = PPO("MlpPolicy", env, n_steps=128, batch_size=256, n_epochs=2, seed=seed, device="cpu")
        trained.append(ppo.learn(1024))
    return trained


def test_the_ensemble_takes_the_largest_mean_probability(data: MarketData, members: list[PPO]) -> None:
    start, end = data.first_row, data.first_row + 60
    mean = ensemble_probabilities(members, data.features, start, end)
    assert mean.shape == (end - start, N_POSITIONS, N_POSITIONS)
    for t in range(start, end, 7):
        for level in range(N_POSITIONS):
            obs = observation(data.features[t, :77], level)
            probs = []
            for model in members:
                tensor, _ = model.policy.obs_to_tensor(obs)
                with torch.no_grad():
                    probs.append(model.policy.get_distribution(tensor).distribution.probs.numpy()[0])
            assert mean[t - start, level] == pytest.approx(np.mean(probs, axis=0), abs=1e-6)
    table = ensemble_action_table(members, data.features, start, end)
    assert np.array_equal(table[start:end], mean.argmax(axis=2))
    assert (table[:start] == 0).all() and (table[end:] == 0).all()
    tables = [policy_action_table(m, data.features, start, end)[start:end] for m in members]
    assert any((table[start:end] != t).any() for t in tables)  # not just one member's decisions


def test_an_ensemble_of_one_decides_as_the_model_and_bad_input_is_refused(data: MarketData, members: list[PPO]) -> None:
    start, end = data.first_row, data.n_rows - 1
    alone = ensemble_action_table(members[:1], data.features, start, end)
    assert np.array_equal(alone, policy_action_table(members[0], data.features, start, end))
    with pytest.raises(ValueError, match="at least one model"):
        ensemble_action_table([], data.features, start, end)
    with pytest.raises(ValueError, match="not finite"):
        ensemble_action_table(members, data.features, 0, end)

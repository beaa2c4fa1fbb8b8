"""The vectorised env equals N single envs step for step, and trains with SB3."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from stable_baselines3.common.vec_env import DummyVecEnv

from huracan.features.catalog import WARMUP_ROWS
from huracan.features.synthetic import random_walk_candles
from huracan.trading.config import EnvConfig
from huracan.trading.env import TradingEnv
from huracan.trading.market_data import MarketData
from huracan.trading.vec_env import TradingVecEnv

N_ENVS = 8


@pytest.fixture(scope="module")
def data() -> MarketData:
    return MarketData.from_candles(random_walk_candles(WARMUP_ROWS + 150, seed=9, vol_per_candle_frac=0.02))


CONFIGS = {
    "default costs, short episodes": EnvConfig(episode_length=17),
    "ruin and shaping": EnvConfig(
        episode_length=40, ruin_equity_frac=0.9, turnover_penalty=0.01, drawdown_penalty=0.5, variance_penalty=2.0
    ),
    "whole range, thin capital": EnvConfig(episode_length=None, initial_equity_quote=50.0),
    "huge orders": EnvConfig(episode_length=25, initial_equity_quote=1e9),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_vec_env_equals_n_single_envs_step_for_step(data: MarketData, name: str) -> None:
    config = CONFIGS[name]
    singles = DummyVecEnv([lambda: TradingEnv(data, config) for _ in range(N_ENVS)])
    vec = TradingVecEnv(data, N_ENVS, config, full_infos=True)
    singles.seed(123)
    vec.seed(123)
    np.testing.assert_array_equal(vec.reset(), singles.reset())
    assert vec.reset_infos == singles.reset_infos
    actions = np.random.default_rng(0).integers(0, 6, (400, N_ENVS))
    episodes_ended = terminations = 0
    for step_actions in actions:
        obs, rewards, dones, infos = vec.step(step_actions)
        s_obs, s_rewards, s_dones, s_infos = singles.step(step_actions)
        np.testing.assert_array_equal(obs, s_obs)
        np.testing.assert_array_equal(dones, s_dones)
        assert rewards.dtype == s_rewards.dtype == np.float32
        np.testing.assert_array_equal(rewards, s_rewards)
        for info, s_info in zip(infos, s_infos, strict=True):
            for key, value in info.items():
                if key == "terminal_observation":
                    np.testing.assert_array_equal(value, s_info[key])
                else:
                    assert value == s_info[key], key
            assert set(s_info) - set(info) <= {"TimeLimit.truncated"}
        assert vec.reset_infos == singles.reset_infos
        episodes_ended += int(dones.sum())
        terminations += sum(not info["TimeLimit.truncated"] for info in infos if "TimeLimit.truncated" in info)
    assert episodes_ended >= (1 if config.episode_length is None else N_ENVS)
    if config.ruin_equity_frac >= 0.9:
        assert terminations > 0
    np.testing.assert_array_equal(vec.equity_quote, [e.unwrapped._equity for e in singles.envs])


def test_lean_infos_carry_only_episode_ends_and_arrays_hold_the_rest(data: MarketData) -> None:
    vec = TradingVecEnv(data, 4, EnvConfig(episode_length=3))
    vec.seed(0)
    vec.reset()
    for _ in range(2):
        _, _, dones, infos = vec.step(np.array([5, 0, 3, 1]))
        assert not dones.any() and infos == [{}, {}, {}, {}]
    np.testing.assert_array_equal(vec.level, [5, 0, 3, 1])
    assert vec.get_attr("orders") == [1, 0, 1, 1]
    assert vec.get_attr("equity_quote", indices=[1]) == [10_000.0]
    np.testing.assert_allclose(vec.exposure_frac[[1, 2]], [0.0, 0.6], atol=0.01)
    _, _, dones, infos = vec.step(np.array([5, 0, 3, 1]))
    assert dones.all()
    assert all(info["TimeLimit.truncated"] and info["terminal_observation"].shape == (80,) for info in infos)
    assert vec.get_attr("config")[0] is vec.config
    with pytest.raises(AttributeError):
        vec.get_attr("no_such_thing")


def test_bad_actions_raise(data: MarketData) -> None:
    vec = TradingVecEnv(data, 2, EnvConfig(episode_length=50))
    with pytest.raises(RuntimeError, match="call reset"):
        vec.step(np.array([0, 0]))
    vec.reset()
    for bad in (np.array([0, 6]), np.array([-1, 0]), np.array([0.5, 1.0])):
        with pytest.raises(ValueError, match=r"actions must be integers in 0\.\.5"):
            vec.step(bad)
    vec.step(np.array([1.0, 2.0]))  # integral floats are accepted
    np.testing.assert_array_equal(vec.level, [1, 2])
    with pytest.raises(ValueError, match="num_envs"):
        TradingVecEnv(data, 0)


def test_ppo_trains_on_the_vec_env(data: MarketData) -> None:
    import torch
    from stable_baselines3 import PPO

    torch.set_num_threads(1)
    vec = TradingVecEnv(data, 4, EnvConfig(episode_length=32))
    model = PPO("MlpPolicy", vec, n_steps=32, batch_size=64, n_epochs=1, seed=0, device="cpu")
    model.learn(total_timesteps=256)
    assert model.num_timesteps == 256
    action, _ = model.predict(vec.reset(), deterministic=True)
    assert action.shape == (4,) and set(action.tolist()) <= set(range(6))


def test_built_from_a_frame_too(data: MarketData) -> None:
    frame: pd.DataFrame = random_walk_candles(WARMUP_ROWS + 20, seed=1)
    vec = TradingVecEnv(frame, 2, EnvConfig(episode_length=5))
    assert vec.reset().shape == (2, 80)

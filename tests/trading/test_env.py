"""The trading env: gymnasium/SB3 contracts, reward and equity arithmetic, episodes, determinism."""

from __future__ import annotations

import math
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import huracan
from huracan.features.catalog import WARMUP_ROWS
from huracan.features.observation import POSITION_FEATURES
from huracan.features.synthetic import random_walk_candles
from huracan.timeframes import Timeframe
from huracan.trading.config import EnvConfig
from huracan.trading.costs import CostModel
from huracan.trading.env import TradingEnv
from huracan.trading.market_data import MarketData

huracan.register_envs()  # Huracan-v0 for gym.make


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return random_walk_candles(WARMUP_ROWS + 200, seed=5)


@pytest.fixture(scope="module")
def data(candles: pd.DataFrame) -> MarketData:
    return MarketData.from_candles(candles)


def test_make_after_import_huracan_and_both_env_checkers(candles: pd.DataFrame, data: MarketData) -> None:
    env = gym.make("Huracan-v0", candles=candles, config=EnvConfig(episode_length=50))
    obs, info = env.reset(seed=0)
    assert obs.shape == (80,) and obs.dtype == np.float32 and env.observation_space.contains(obs)
    assert info == {"equity_quote": 10_000.0, "exposure_frac": 0.0, "level": 0, "costs_quote": 0.0, "orders": 0}
    check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(TradingEnv(data, EnvConfig(episode_length=50)), warn=True)


def test_importing_huracan_stays_light() -> None:
    heavy = ("pandas", "torch", "stable_baselines3", "mlflow", "great_expectations", "ccxt")
    code = f"import huracan, sys; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def five_candles(config: EnvConfig) -> TradingEnv:
    """Five candles with zero features: decisions at rows 0..3, the episode ends at row 4."""
    data = MarketData(
        features=np.zeros((5, 80), dtype=np.float32),
        open_quote=np.array([100.0, 100.0, 110.0, 99.0, 99.0]),
        close_quote=np.array([100.0, 110.0, 99.0, 99.0, 120.0]),
        volume_base=np.array([6_000.0, 6_000.0, 6_000.0, 0.0, 6_000.0]),
        timeframe=Timeframe.parse("1h"),
        first_row=0,
    )
    return TradingEnv(data, config)


def test_reward_and_equity_on_five_hand_computed_candles() -> None:
    costs = CostModel(taker_fee_frac=0.001, spread_frac=0.002, slippage_coef=0.01, max_slippage_frac=0.05)
    env = five_candles(EnvConfig(initial_equity_quote=10_000.0, episode_length=None, costs=costs, ruin_equity_frac=0.0))
    obs, info = env.reset(seed=1)
    np.testing.assert_array_equal(obs[77:], POSITION_FEATURES[0])

    # row 0 -> 0.6: buy 60 base at 100 * (1 + 0.001 spread + 0.001 slippage) = 100.2, fee 6.012
    obs, reward, terminated, truncated, info = env.step(3)
    cash = 10_000.0 - 6_012.0 - 6.012
    equity1 = cash + 60 * 110.0  # marked at row 1's close
    assert reward == pytest.approx(math.log(equity1 / 10_000.0), rel=1e-12)
    assert info["equity_quote"] == pytest.approx(equity1, rel=1e-12)
    assert info["exposure_frac"] == pytest.approx(6_600.0 / equity1, rel=1e-12)
    assert info["costs_quote"] == pytest.approx(18.012, rel=1e-12)
    assert (info["level"], info["orders"], terminated, truncated) == (3, 1, False, False)
    np.testing.assert_array_equal(obs[77:], POSITION_FEATURES[3])

    # row 1 -> 0.6 again: no trade, the position drifts
    _, reward, _, _, info = env.step(3)
    equity2 = cash + 60 * 99.0
    assert reward == pytest.approx(math.log(equity2 / equity1), rel=1e-12)
    assert (info["orders"], info["costs_quote"]) == (1, pytest.approx(18.012, rel=1e-12))

    # row 2 -> 0: sell all 60 at 99 * (1 - 0.002) = 98.802, fee 5.92812
    _, reward, _, _, info = env.step(0)
    cash = cash + 60 * 98.802 - 60 * 98.802 * 0.001
    assert reward == pytest.approx(math.log(cash / equity2), rel=1e-12)
    assert info["costs_quote"] == pytest.approx(18.012 + 11.88 + 5.92812, rel=1e-12)
    assert info["exposure_frac"] == 0.0

    # row 3 -> 1.0 against a zero-volume candle: slippage at its 5 % cap, the buy is trimmed to the cash
    obs, reward, terminated, truncated, info = env.step(5)
    price = 99.0 * (1 + 0.001 + 0.05)
    bought = cash / (price * 1.001)
    assert reward == pytest.approx(math.log(bought * 120.0 / cash), rel=1e-12)
    assert info["equity_quote"] == pytest.approx(bought * 120.0, rel=1e-12)
    assert info["exposure_frac"] == pytest.approx(1.0, rel=1e-12)
    assert info["orders"] == 3
    assert (terminated, truncated) == (False, True)  # row 4 is the last candle
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(0)


def test_reward_shaping_penalties() -> None:
    costs = CostModel(taker_fee_frac=0.0, spread_frac=0.0, slippage_coef=0.0)
    env = five_candles(EnvConfig(episode_length=None, costs=costs, turnover_penalty=0.5, drawdown_penalty=2.0))
    env.reset(seed=0)
    _, reward, _, _, _ = env.step(5)  # 0 -> 1.0 costs nothing, equity x 1.1, new peak
    assert reward == pytest.approx(math.log(1.1) - 0.5 * 1.0, rel=1e-12)
    _, reward, _, _, _ = env.step(5)  # equity 11,000 -> 9,900, 10 % below the peak
    assert reward == pytest.approx(math.log(0.9) - 2.0 * 0.1, rel=1e-12)


def test_variance_penalty_charges_the_squared_log_return() -> None:
    costs = CostModel(taker_fee_frac=0.0, spread_frac=0.0, slippage_coef=0.0)
    env = five_candles(EnvConfig(episode_length=None, costs=costs, variance_penalty=3.0))
    env.reset(seed=0)
    _, reward, _, _, _ = env.step(5)  # equity x 1.1
    assert reward == pytest.approx(math.log(1.1) - 3.0 * math.log(1.1) ** 2, rel=1e-12)
    _, reward, _, _, _ = env.step(5)  # held from the close of 110 to 99: equity x 0.9
    assert reward == pytest.approx(math.log(0.9) - 3.0 * math.log(0.9) ** 2, rel=1e-12)
    _, reward, _, _, _ = env.step(0)  # sold at the open of 99, marked at 99: no return, no penalty
    assert reward == 0.0


def test_ruin_terminates() -> None:
    env = five_candles(EnvConfig(episode_length=None, costs=CostModel(), ruin_equity_frac=0.95))
    env.reset(seed=0)
    env.step(5)  # all in at 100, close 110
    _, _, terminated, truncated, info = env.step(5)  # close 99: equity ~9,890 > 9,500
    assert not terminated
    env2 = five_candles(EnvConfig(episode_length=None, costs=CostModel(), ruin_equity_frac=0.99))
    env2.reset(seed=0)
    env2.step(5)
    _, _, terminated, truncated, info = env2.step(5)
    assert terminated and not truncated and info["equity_quote"] <= 9_900.0


def test_episodes_start_after_warmup_and_are_truncated_at_their_length(data: MarketData) -> None:
    env = TradingEnv(data, EnvConfig(episode_length=30))
    starts = set()
    for seed in range(20):
        env.reset(seed=seed)
        starts.add(env._t)
        steps, truncated = 0, False
        while not truncated:
            _, _, terminated, truncated, _ = env.step(int(env.np_random.integers(6)))
            assert not terminated
            steps += 1
        assert steps == 30
    assert min(starts) >= WARMUP_ROWS and max(starts) <= data.n_rows - 1 - 30 and len(starts) > 10


def test_whole_range_episode_and_start_row_option(data: MarketData) -> None:
    env = TradingEnv(data, EnvConfig(episode_length=None))
    env.reset(seed=3)
    assert env._t == WARMUP_ROWS
    steps, done = 0, False
    while not done:
        _, _, terminated, truncated, _ = env.step(1)
        done = terminated or truncated
        steps += 1
    assert steps == data.n_decisions and truncated
    env.reset(options={"start_row": data.n_rows - 2})
    assert env.step(0)[3] is True
    with pytest.raises(ValueError, match="start_row must be in"):
        env.reset(options={"start_row": 5})


def test_same_seed_same_episode(data: MarketData) -> None:
    def run(seed: int) -> list:
        env = TradingEnv(data, EnvConfig(episode_length=40))
        obs, _ = env.reset(seed=seed)
        trace = [obs]
        while True:
            obs, reward, terminated, truncated, info = env.step(int(env.np_random.integers(6)))
            trace += [obs, reward, info]
            if terminated or truncated:
                return trace

    first, again, other = run(7), run(7), run(8)
    assert len(first) == len(again)
    for a, b in zip(first, again, strict=True):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
        else:
            assert a == b
    assert not np.array_equal(first[0], other[0])


def test_invalid_actions_and_arguments_raise(candles: pd.DataFrame, data: MarketData) -> None:
    env = TradingEnv(data, EnvConfig(episode_length=50))
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(0)
    env.reset(seed=0)
    for action in (6, -1, 2.5, "1"):
        with pytest.raises(ValueError, match=r"action must be an integer in 0\.\.5"):
            env.step(action)  # type: ignore[arg-type]
    env.step(np.int64(2))
    with pytest.raises(ValueError, match="render_mode"):
        TradingEnv(data, render_mode="human")
    with pytest.raises(ValueError, match="episode_length"):
        EnvConfig(episode_length=0)
    with pytest.raises(ValueError, match="ruin_equity_frac"):
        EnvConfig(ruin_equity_frac=1.0)
    with pytest.raises(ValueError, match=f"at least {WARMUP_ROWS + 2} are needed"):
        TradingEnv(candles.iloc[: WARMUP_ROWS + 1])  # the warm-up row is a decision, but its fill needs one more


def test_ansi_render() -> None:
    env = five_candles(EnvConfig(episode_length=None))
    env.render_mode = "ansi"
    env.reset(seed=0)
    env.step(2)
    # 40 base bought at 100 * (1 + 0.00005 + 0.01 * sqrt(40 / 6000)) with a 0.1 % fee, marked at 110
    assert env.render() == "row 1 step 1: level 2 equity 10392.53 quote, costs 7.47 quote, orders 1"


def test_the_docstring_example_runs() -> None:
    import doctest

    import huracan.trading.env as env_module

    result = doctest.testmod(env_module, raise_on_error=False)
    assert result.attempted >= 5 and result.failed == 0


def test_zero_d_array_action_and_a_too_long_episode_warns(data: MarketData) -> None:
    with pytest.warns(UserWarning, match=r"episode_length 100000 exceeds the \d+ decisions"):
        env = TradingEnv(data, EnvConfig(episode_length=100_000))
    env.reset(seed=0)
    assert env._t == WARMUP_ROWS
    assert env.step(np.array(4))[4]["level"] == 4

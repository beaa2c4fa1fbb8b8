"""Batched policy evaluation gives exactly the decisions of a step-by-step ``model.predict`` loop; an ensemble
decides by the mean of its members' action probabilities."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from stable_baselines3 import PPO

from huracan.features.observation import N_OBS, N_POSITIONS, observation
from huracan.market.emulator.frames import simulated_candles
from huracan.rl.batch_policy import (
    SeedEnsemble,
    ensemble_action_table,
    ensemble_probabilities,
    mean_probabilities,
    policy_action,
    policy_action_table,
)
from huracan.rl.fingerprint import policy_sha256
from huracan.timeframes import Timeframe
from huracan.trading.backtest import replay, window_rows
from huracan.trading.config import EnvConfig
from huracan.trading.env import TradingEnv
from huracan.trading.market_data import MarketData
from huracan.trading.vec_env import TradingVecEnv

torch.set_num_threads(1)
HOUR = Timeframe.parse("1h")


@pytest.fixture(scope="module")
def data() -> MarketData:
    return MarketData.from_candles(simulated_candles(1300, 3, "BTC/USDT", HOUR, 1_609_459_200_000), HOUR)


@pytest.fixture(scope="module")
def model(data: MarketData) -> PPO:
    """A PPO trained briefly (3072 steps, a few seconds): its decisions depend on market and position."""
    env = TradingVecEnv(data, 4, EnvConfig(episode_length=256))
    ppo = PPO("MlpPolicy", env, n_steps=256, batch_size=256, n_epochs=2, seed=0, device="cpu")
    return ppo.learn(3072)


def test_table_equals_the_predict_loop(data: MarketData, model: PPO) -> None:
    start, end = data.first_row, data.first_row + 250
    table = policy_action_table(model, data.features, start, end)
    assert table.shape == (data.n_rows, 6) and table.dtype == np.int64
    for t in range(start, end):
        for level in range(6):
            action, _ = model.predict(observation(data.features[t, :77], level), deterministic=True)
            assert table[t, level] == int(action), (t, level)
    window = table[start:end]
    assert len(np.unique(window)) > 1  # a trained, non-constant policy
    assert (window != window[:, :1]).any()  # and its decisions depend on the position
    assert (table[:start] == 0).all() and (table[end:] == 0).all()


def test_replay_of_the_table_equals_stepping_the_env_with_predict(data: MarketData, model: PPO) -> None:
    start, end = window_rows(data)
    config = EnvConfig(episode_length=end - start, random_start=False, ruin_equity_frac=0.0)
    result = replay(data, policy_action_table(model, data.features, start, end), start, end, config)
    env = TradingEnv(data, config)
    obs, info = env.reset(options={"start_row": start})
    equity, levels = [info["equity_quote"]], []
    truncated = False
    while not truncated:
        action, _ = model.predict(obs, deterministic=True)
        obs, _, _, truncated, info = env.step(int(action))
        equity.append(info["equity_quote"])
        levels.append(info["level"])
    np.testing.assert_array_equal(result.levels, levels)
    np.testing.assert_array_equal(result.equity_quote, equity)
    assert result.n_orders > 10


def test_batch_size_policy_and_feature_width_do_not_change_the_table(data: MarketData, model: PPO) -> None:
    start, end = 400, 700
    reference = policy_action_table(model, data.features, start, end)
    np.testing.assert_array_equal(policy_action_table(model, data.features, start, end, batch_rows=7), reference)
    np.testing.assert_array_equal(policy_action_table(model.policy, data.features[:, :77], start, end), reference)


def test_one_observation_is_decided_as_predict_decides_it(data: MarketData, model: PPO) -> None:
    start = data.first_row
    decided = set()
    for t in range(start, start + 150):
        for level in range(6):
            obs = observation(data.features[t, :77], level)
            action, _ = model.predict(obs, deterministic=True)
            assert policy_action(model, obs) == policy_action(model.policy, obs) == int(action), (t, level)
            decided.add(int(action))
    assert len(decided) > 1


def test_one_near_tie_and_a_model_it_does_not_take_go_to_predict(
    data: MarketData, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = PPO("MlpPolicy", TradingVecEnv(data, 1), seed=1, device="cpu").policy
    with torch.no_grad():  # every action equally likely
        policy.action_net.weight.zero_()
        policy.action_net.bias.zero_()
    calls = []
    predict = policy.predict
    monkeypatch.setattr(policy, "predict", lambda obs, **kw: calls.append(obs) or predict(obs, **kw))
    obs = observation(data.features[500, :77], 2)
    assert policy_action(policy, obs) == int(predict(obs, deterministic=True)[0]) and len(calls) == 1

    class Constant:
        def predict(self, obs: np.ndarray, deterministic: bool = False) -> tuple[np.ndarray, None]:
            return np.array(4), None

    assert policy_action(Constant(), obs) == 4  # type: ignore[arg-type]


def test_near_ties_are_decided_by_predict(data: MarketData, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = PPO("MlpPolicy", TradingVecEnv(data, 1), seed=1, device="cpu").policy
    with torch.no_grad():  # every action equally likely: every row is a tie
        policy.action_net.weight.zero_()
        policy.action_net.bias.zero_()
    calls = []
    predict = policy.predict
    monkeypatch.setattr(policy, "predict", lambda obs, **kw: calls.append(obs) or predict(obs, **kw))
    start, end = 500, 520
    table = policy_action_table(policy, data.features, start, end)
    assert len(calls) == (end - start) * 6  # all re-decided one observation at a time
    assert all(obs.shape == (N_OBS,) for obs in calls)
    for t in range(start, end):
        for level in range(6):
            action, _ = policy.predict(observation(data.features[t, :77], level), deterministic=True)
            assert table[t, level] == int(action)


def test_bad_inputs_raise(data: MarketData, model: PPO) -> None:
    with pytest.raises(ValueError, match="finite"):
        policy_action_table(model, data.features, 0, 500)  # rows before the warm-up are NaN
    with pytest.raises(ValueError, match="shape"):
        policy_action_table(model, data.features[:, :40], 400, 500)
    with pytest.raises(ValueError, match="start_row"):
        policy_action_table(model, data.features, 500, 500)
    with pytest.raises(ValueError, match="batch_rows"):
        policy_action_table(model, data.features, 400, 500, batch_rows=0)
    with pytest.raises(ValueError, match="stable-baselines3"):
        policy_action_table(object(), data.features, 400, 500)  # type: ignore[arg-type]
    assert data.features.shape[1] == N_OBS


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


def test_a_seed_ensemble_decides_alike_through_every_entry_point(data: MarketData, members: list[PPO]) -> None:
    ensemble = SeedEnsemble(tuple(members), (0, 1, 2))
    start, end = data.first_row, data.first_row + 80
    table = policy_action_table(ensemble, data.features, start, end)
    assert np.array_equal(table, ensemble_action_table(members, data.features, start, end))
    mean = ensemble_probabilities(members, data.features, start, end)
    batch = np.stack([observation(data.features[t, :77], level) for t in range(start, end) for level in range(6)])
    predicted, state = ensemble.predict(batch)
    assert state is None and np.array_equal(predicted, mean.reshape(-1, N_POSITIONS).argmax(axis=1))
    for t in range(start, end, 9):  # one observation at a time, as the live step decides
        for level in range(N_POSITIONS):
            obs = observation(data.features[t, :77], level)
            assert policy_action(ensemble, obs) == table[t, level] == int(ensemble.predict(obs)[0])
    assert policy_sha256(ensemble) == policy_sha256(SeedEnsemble(tuple(members), (0, 1, 2)))
    assert policy_sha256(ensemble) != policy_sha256(SeedEnsemble(tuple(members), (0, 2, 1)))
    assert policy_sha256(ensemble) != policy_sha256(SeedEnsemble(tuple(members[::-1]), (0, 1, 2)))
    with pytest.raises(ValueError, match="two or more members"):
        SeedEnsemble(tuple(members[:1]), (0,))
    with pytest.raises(ValueError, match="one seed each"):
        SeedEnsemble(tuple(members), (0, 1))
    with pytest.raises(ValueError, match="deterministically"):
        ensemble.predict(batch, deterministic=False)


@settings(max_examples=60, deadline=None)
@given(
    market=arrays(np.float32, (77,), elements=st.floats(-10, 10, width=32)),
    level=st.integers(0, N_POSITIONS - 1),
)
def test_members_that_agree_are_followed_and_the_ensemble_never_picks_a_less_likely_action(
    members: list[PPO], market: np.ndarray, level: int
) -> None:
    ensemble = SeedEnsemble(tuple(members), (0, 1, 2))
    obs = observation(market, level)
    action = policy_action(ensemble, obs)
    mean = mean_probabilities(members, obs[None])[0]
    assert mean[action] == mean.max() and int(ensemble.predict(obs)[0]) == action
    votes = {policy_action(member, obs) for member in members}
    if len(votes) == 1:  # unanimous members: the ensemble decides as each of them
        assert action == votes.pop()

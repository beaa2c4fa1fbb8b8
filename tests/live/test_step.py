"""The live step replayed over history equals the backtest (taker and maker-first); reruns change nothing;
binding limits explain every difference; a failure inside a batch of ticks writes nothing of it; a tick's
features on just enough candles equal the replay's."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from stable_baselines3 import PPO

from huracan.execution.paper import PaperAccountConfig, PaperBroker
from huracan.execution.store import ExecutionStore
from huracan.features.catalog import LOOKBACK_ROWS, N_MARKET_FEATURES, WARMUP_ROWS
from huracan.features.market import build_market_features
from huracan.live import step as step_module
from huracan.live.decisions import DecisionStore
from huracan.live.replay import REPLAY_LIMITS, TICKS_PER_COMMIT, replay_ticks
from huracan.live.step import Model, level_of
from huracan.market.emulator.simulated import SimulatedSeries
from huracan.risk import RiskLimits, RiskManager, RiskStore
from huracan.rl.batch_policy import policy_action, policy_action_table
from huracan.timeframes import Timeframe
from huracan.trading.backtest import replay
from huracan.trading.config import EnvConfig
from huracan.trading.execution_policy import ExecutionPolicy
from huracan.trading.market_data import MarketData
from huracan.trading.vec_env import TradingVecEnv

HOUR = Timeframe.parse("1h")
SYMBOL = "BTC/USDT"
START, END = WARMUP_ROWS + 5, WARMUP_ROWS + 125


@functools.cache
def candles() -> pd.DataFrame:
    series = SimulatedSeries(9, SYMBOL, HOUR, 1_704_067_200_000)
    n = END + 2
    columns = series.columns(0, n)
    index = pd.to_datetime(series.origin_ms + np.arange(n) * HOUR.ms, unit="ms", utc=True).rename("open_time")
    return pd.DataFrame({c: columns[c] for c in ("open", "high", "low", "close", "volume")}, index=index)


@functools.cache
def setup() -> tuple[MarketData, PPO]:
    data = MarketData.from_candles(candles(), HOUR)
    # an untrained policy: its random weights still map observations to varied actions, deterministically
    return data, PPO("MlpPolicy", TradingVecEnv(data, 1, EnvConfig(episode_length=None)), seed=3, device="cpu")


def paper(url: str, policy: ExecutionPolicy, limits: RiskLimits = REPLAY_LIMITS) -> PaperBroker:
    config = PaperAccountConfig(10_000.0, 10_000.0)
    return PaperBroker(
        ExecutionStore.open(url),
        RiskManager(limits, RiskStore.open(url)),
        EnvConfig().costs,
        policy,
        "replay:t",
        config,
    )


@pytest.mark.parametrize(
    "policy", [ExecutionPolicy(), ExecutionPolicy("maker_first", 1, "skip")], ids=["taker", "maker_first"]
)
def test_replayed_ticks_equal_the_backtest_and_a_rerun_changes_nothing(store_url: str, policy: ExecutionPolicy) -> None:
    data, ppo = setup()
    table = policy_action_table(ppo, data.features, START, END)
    expected = replay(data, table, START, END, EnvConfig(), policy=policy)
    assert expected.n_orders > 10  # the policy trades, so the comparison means something
    broker, decisions = paper(store_url, policy), DecisionStore.open(store_url)
    model = Model("replay", "huracan-BTC-USDT-1h", "1", "models:/huracan-BTC-USDT-1h/1", ppo)
    equity, levels = replay_ticks(broker, decisions, model, SYMBOL, HOUR, data, START, END)
    assert [10_000.0, *equity] == expected.equity_quote.tolist()
    assert levels == expected.levels.tolist()
    recorded = decisions.history("replay:t", SYMBOL, "1h")
    assert len(recorded) == END - START and all(d.obs_sha256 for d in recorded)
    with broker.store.transaction() as connection:
        fills_before = broker.store.fills(connection)
    again_equity, again_levels = replay_ticks(broker, decisions, model, SYMBOL, HOUR, data, START, END)
    assert again_levels == levels and again_equity[-1] == equity[-1]
    with broker.store.transaction() as connection:
        assert broker.store.fills(connection) == fills_before
    assert decisions.history("replay:t", SYMBOL, "1h") == recorded


def test_with_binding_limits_the_replay_differs_only_from_a_resized_or_denied_decision_on(store_url: str) -> None:
    data, ppo = setup()
    table = policy_action_table(ppo, data.features, START, END)
    expected = replay(data, table, START, END, EnvConfig())
    tight = RiskLimits(max_position_quote=3_000.0, max_heat_frac=1.0, max_order_notional_quote=1e9, price_band_frac=0.5)
    broker, decisions = paper(store_url, ExecutionPolicy(), tight), DecisionStore.open(store_url)
    model = Model("replay", "m", "1", "models:/m/1", ppo)
    equity, levels = replay_ticks(broker, decisions, model, SYMBOL, HOUR, data, START, END)
    recorded = decisions.history("replay:t", SYMBOL, "1h")
    gated = [i for i, d in enumerate(recorded) if d.verdict in ("resized", "denied")]
    assert gated, "the tight position limit must resize some buys"
    assert levels == expected.levels.tolist()  # the decisions do not depend on the fills
    differs = np.flatnonzero(np.array([10_000.0, *equity]) != expected.equity_quote)
    assert len(differs) and differs[0] > gated[0]  # identical until the first gated order filled
    assert "position_limit" in recorded[gated[0]].reasons


def test_a_ticks_features_on_just_enough_candles_equal_the_replays() -> None:
    data, _ = setup()
    frame = candles()
    for row in (START, (START + END) // 2, END - 1):
        window = frame.iloc[row - LOOKBACK_ROWS + 1 : row + 1]
        own = build_market_features(window, HOUR)[-1]
        np.testing.assert_array_equal(own, data.features[row, :N_MARKET_FEATURES])


def test_level_of_maps_targets_back_to_levels() -> None:
    assert [level_of(x) for x in (None, 0.0, 0.2, 0.4, 0.6000000001, 0.8, 1.0)] == [0, 0, 1, 2, 3, 4, 5]


def test_a_replay_failing_mid_batch_writes_nothing_of_it_and_a_rerun_equals_the_backtest(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, ppo = setup()
    expected = replay(data, policy_action_table(ppo, data.features, START, END), START, END, EnvConfig())
    assert END - START < TICKS_PER_COMMIT  # one batch
    broker, decisions = paper(store_url, ExecutionPolicy()), DecisionStore.open(store_url)
    model = Model("replay", "m", "1", "models:/m/1", ppo)
    decided = []

    def failing(policy: PPO, obs: np.ndarray) -> int:
        if len(decided) == 60:
            raise RuntimeError("the process died")
        decided.append(obs)
        return policy_action(policy, obs)

    monkeypatch.setattr(step_module, "policy_action", failing)
    with pytest.raises(RuntimeError, match="died"):
        replay_ticks(broker, decisions, model, SYMBOL, HOUR, data, START, END)
    assert decisions.history("replay:t", SYMBOL, "1h") == []
    with broker.store.transaction() as connection:
        assert broker.store.books(connection, "replay:t") == [] and broker.store.fills(connection) == []
    assert broker.risk.store.state("replay:t") is None and broker.risk.store.decisions("replay:t") == []
    monkeypatch.undo()
    equity, levels = replay_ticks(broker, decisions, model, SYMBOL, HOUR, data, START, END)
    assert [10_000.0, *equity] == expected.equity_quote.tolist() and levels == expected.levels.tolist()

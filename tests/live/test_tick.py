"""A live tick with a challenger but no champion: the paper account records "no champion", the challenger
still decides and trades on its own shadow account, and a rerun changes nothing."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import mlflow
import torch
from stable_baselines3 import PPO

from huracan.clock import parse_instant_ms
from huracan.config import get_settings
from huracan.execution.store import ExecutionStore
from huracan.live.decisions import DecisionStore
from huracan.live.shadow import shadow_account
from huracan.live.tick import live_tick
from huracan.market.emulator import Emulator
from huracan.market.emulator.frames import simulated_candles
from huracan.registry import models, naming
from huracan.registry.keys import env_config_params
from huracan.registry.tracking import configure_tracking, ensure_experiment
from huracan.rl.pyfunc import observation_frame, observation_spec
from huracan.timeframes import Timeframe
from huracan.trading.config import EnvConfig
from huracan.trading.market_data import MarketData
from huracan.trading.vec_env import TradingVecEnv

CLOCK = parse_instant_ms("2022-06-01T06:30:00Z")
HOUR = Timeframe.parse("1h")
SYMBOL = "BTC/USDT"


def all_in_policy(data: MarketData) -> PPO:
    """A PPO whose deterministic action is level 5 (all in) whatever it sees."""
    model = PPO("MlpPolicy", TradingVecEnv(data, 1, EnvConfig(episode_length=64)), n_steps=8, batch_size=8, seed=0)
    head = model.policy.action_net
    assert isinstance(head, torch.nn.Linear)
    with torch.no_grad():
        head.weight.zero_()
        head.bias.zero_()
        head.bias[5] = 10.0
    return model


def test_without_a_champion_the_challenger_still_trades_its_shadow_account(
    cli_env: Callable[..., Emulator], mlflow_template: Path
) -> None:
    cli_env(CLOCK)
    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    shutil.copy(mlflow_template, settings.home / "mlflow.db")
    client = configure_tracking(settings)
    data = MarketData.from_candles(simulated_candles(400, 3, SYMBOL, HOUR), HOUR)
    name = naming.model_name(SYMBOL, HOUR)
    # the model's experiment keeps its artifacts under HURACAN_HOME; MLflow's Default one would use ./mlruns
    experiment_id = ensure_experiment(settings, client, naming.experiment_name(SYMBOL, HOUR))
    with mlflow.start_run(experiment_id=experiment_id) as run:
        spec = observation_spec(
            exchange=settings.exchange, symbol=SYMBOL, timeframe="1h", env_config=env_config_params(EnvConfig())
        )
        uri = models.log_policy(all_in_policy(data), spec, observation_frame(data.features[300:302]))
    version = str(models.register(client, name, uri, run.info.run_id, {}, "test").version)

    tick = live_tick(settings, client, SYMBOL, HOUR, at_ms=CLOCK)
    shadow = shadow_account(name, version)
    assert f"no champion for {name} yet" in tick.note
    assert list(tick.steps) == [shadow]
    stepped = tick.steps[shadow]
    assert stepped.new and stepped.decision.role == "challenger" and stepped.decision.action == 5
    assert stepped.placed is not None and stepped.placed.order is not None
    decisions = DecisionStore.open(settings.store_url)
    paper = decisions.get("paper", SYMBOL, "1h", tick.decision_ms)
    assert paper is not None and paper.action is None and "no champion" in paper.note
    store = ExecutionStore.open(settings.store_url)
    with store.transaction() as connection:
        placed = [order.client_order_id for order in store.orders(connection, account=shadow)]
        assert placed == [stepped.decision.client_order_id]
        assert store.orders(connection, account="paper") == []

    again = live_tick(settings, client, SYMBOL, HOUR, at_ms=CLOCK)
    assert not again.steps[shadow].new and again.steps[shadow].decision == stepped.decision
    with store.transaction() as connection:
        assert len(store.orders(connection, account=shadow)) == 1
    assert list((settings.home / "mlartifacts").iterdir()) and not (Path.cwd() / "mlruns").exists()

"""Fixtures of the registry tests: a temporary MLflow store and home, a market with a planted trend, and
hand-made policies (constant, or a sign rule on one feature) registered like ``huracan train`` does.

Hand-made policies make the gate's outcome known in advance without training: a sign rule on a fast
momentum feature beats one on a slow feature, which beats buy & hold, on the planted market's test
window (each test asserts that ordering first, so a change of the market shows up as such).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import torch
from mlflow import MlflowClient
from stable_baselines3 import PPO

from huracan.config import Settings
from huracan.data.candle_store import CandleStore, SeriesKey
from huracan.data.db import dispose_engines
from huracan.features.catalog import MARKET_FEATURE_NAMES
from huracan.market.emulator import MARKET_PRESETS
from huracan.market.emulator.frames import simulated_candles
from huracan.registry import models, naming
from huracan.registry.keys import Role, RunTags, VersionTags, env_config_params, split_params
from huracan.registry.tracking import configure_tracking, ensure_experiment
from huracan.rl.pyfunc import observation_frame, observation_spec
from huracan.rl.split import WalkForwardSplit, walk_forward_split
from huracan.timeframes import Timeframe
from huracan.trading.config import EnvConfig
from huracan.trading.market_data import MarketData
from huracan.trading.vec_env import TradingVecEnv

torch.set_num_threads(1)
DAY = Timeframe.parse("1d")
SYMBOL = "BTC/USDT"
PLANTED = MARKET_PRESETS["planted"]


def planted_frame(seed: int = 2, n: int = 1200, start_ms: int = 1_546_300_800_000) -> pd.DataFrame:
    """``n`` daily candles of the planted market."""
    return simulated_candles(n, seed, SYMBOL, DAY, start_ms, params=PLANTED)


@pytest.fixture
def model_settings(tmp_path: Path, mlflow_template: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings with a temporary home, SQLite store and MLflow store (also as MLFLOW_TRACKING_URI)."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(mlflow_template, home / "mlflow.db")
    uri = f"sqlite:///{home / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    yield Settings(home=home, db_url=f"sqlite:///{tmp_path / 'store.db'}", mlflow_tracking_uri=uri)
    dispose_engines()


@pytest.fixture
def client(model_settings: Settings) -> MlflowClient:
    return configure_tracking(model_settings)


@pytest.fixture
def planted(model_settings: Settings) -> tuple[MarketData, WalkForwardSplit]:
    """The planted market stored for BTC/USDT 1d, its arrays and walk-forward split."""
    frame = planted_frame()
    rows = np.column_stack([frame.index.as_unit("ms").asi8, frame.to_numpy()])
    CandleStore.open(model_settings.store_url).upsert(SeriesKey(model_settings.exchange, SYMBOL, "1d"), rows)
    data = MarketData.from_candles(frame, DAY)
    return data, walk_forward_split(data)


def rule_policy(data: MarketData, feature: str | None = None, level: int = 5) -> PPO:
    """A PPO whose deterministic action is ``level`` everywhere (``feature`` None), or 5 (all in) where
    ``feature`` > 0 and 0 (flat) elsewhere, whatever the position."""
    env = TradingVecEnv(data, 1, EnvConfig(episode_length=64))
    model = PPO(
        "MlpPolicy",
        env,
        n_steps=8,
        batch_size=8,
        seed=0,
        device="cpu",
        policy_kwargs={"net_arch": {"pi": [4, 4], "vf": [4, 4]}},
    )
    first, _, second, _ = model.policy.mlp_extractor.policy_net
    head = model.policy.action_net
    with torch.no_grad():
        for layer in (first, second, head):
            layer.weight.zero_()
            layer.bias.zero_()
        if feature is None:
            head.bias[level] = 10.0
        else:
            first.weight[0, MARKET_FEATURE_NAMES.index(feature)] = 50.0
            second.weight[0, 0] = 5.0
            head.weight[5, 0] = 10.0
            head.weight[0, 0] = -10.0
    return model


def register_policy(
    settings: Settings, client: MlflowClient, model: PPO, data: MarketData, split: WalkForwardSplit, seed: int = 0
) -> str:
    """Log ``model`` in a seed run with the params ``huracan train`` logs, register it; return the version."""
    experiment_id = ensure_experiment(settings, client, naming.experiment_name(SYMBOL, DAY))
    env_params = env_config_params(EnvConfig())
    group = uuid.uuid4().hex
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_params({**split_params(split), **env_params, "seed": seed})
        tags = RunTags(role=Role.SEED, group_id=group, seed=seed)
        mlflow.set_tags(tags.to_tags())
        spec = observation_spec(exchange=settings.exchange, symbol=SYMBOL, timeframe="1d", env_config=env_params)
        example = observation_frame(data.features[split.validation.start_row : split.validation.start_row + 2])
        uri = models.log_policy(model, spec, example)
        mlflow.set_tags(replace(tags, model_uri=uri).to_tags())
    name = naming.model_name(SYMBOL, DAY)
    version_tags = VersionTags(group_id=group, seed=seed).to_tags()
    version = models.register(client, name, uri, run.info.run_id, version_tags, "test")
    return str(version.version)


@pytest.fixture(name="rule_policy")
def rule_policy_fixture() -> object:
    """:func:`rule_policy`, for tests."""
    return rule_policy


@pytest.fixture(name="register_policy")
def register_policy_fixture(  # type: ignore[no-untyped-def]
    model_settings: Settings, client: MlflowClient, planted: tuple[MarketData, WalkForwardSplit]
):
    """``register(model) -> version``: :func:`register_policy` on the planted market."""
    data, split = planted

    def register(model: PPO, seed: int = 0) -> str:
        return register_policy(model_settings, client, model, data, split, seed)

    return register

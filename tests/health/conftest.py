"""Fixtures of the health tests: a loopback JSON webhook as the alert URL, an all-in policy registered in the
home's MLflow store, and the registry tests' MLflow store, planted market and registered policies."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow
import pytest
from mlflow import MlflowClient

from huracan.config import Settings
from huracan.market.emulator.frames import simulated_candles
from huracan.registry import models, naming
from huracan.registry.keys import env_config_params
from huracan.registry.tracking import configure_tracking, ensure_experiment
from huracan.rl.pyfunc import observation_frame, observation_spec
from huracan.timeframes import Timeframe
from huracan.trading.config import EnvConfig
from huracan.trading.market_data import MarketData
from tests.health.test_alerts import Receiver
from tests.live.test_tick import all_in_policy
from tests.registry.conftest import (  # noqa: F401  (fixtures)
    client,
    model_settings,
    planted,
    register_policy_fixture,
)

HOUR = Timeframe.parse("1h")


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """A JSON webhook on 127.0.0.1 as ``HURACAN_ALERT_URLS`` (set before the settings are read)."""
    receiver = Receiver()
    monkeypatch.setenv("HURACAN_ALERT_URLS", receiver.url)
    yield receiver
    receiver.stop()


def home_mlflow(settings: Settings, mlflow_template: Path) -> MlflowClient:
    """The empty MLflow store of ``settings``' home (a copy of the session's template), tracked."""
    settings.home.mkdir(parents=True, exist_ok=True)
    shutil.copy(mlflow_template, settings.home / "mlflow.db")
    return configure_tracking(settings)


def register_all_in(
    settings: Settings, registry: MlflowClient, symbol: str = "BTC/USDT", log: Any = None
) -> tuple[str, str]:
    """Log an all-in policy on ``symbol`` 1h in a new run (``log()`` runs inside it) and register it as the
    challenger; its name and version."""
    data = MarketData.from_candles(simulated_candles(400, 3, symbol, HOUR), HOUR)
    spec = observation_spec(
        exchange=settings.exchange, symbol=symbol, timeframe="1h", env_config=env_config_params(EnvConfig())
    )
    name = naming.model_name(symbol, HOUR)
    # an experiment of the home's (its artifacts under home/mlartifacts, not ./mlruns)
    experiment_id = ensure_experiment(settings, registry, naming.experiment_name(symbol, HOUR))
    with mlflow.start_run(experiment_id=experiment_id) as run:
        uri = models.log_policy(all_in_policy(data), spec, observation_frame(data.features[300:302]))
        if log is not None:
            log()
    return name, str(models.register(registry, name, uri, run.info.run_id, {}, "test").version)

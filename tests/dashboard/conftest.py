"""Fixtures of the dashboard tests: the registry tests' MLflow store and planted market, and one version
registered, backtested (metrics and plot logged) and judged by the gate, as ``huracan train``,
``huracan backtest`` and ``huracan promote`` leave it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from mlflow import MlflowClient

from huracan.config import Settings
from huracan.registry import naming
from huracan.registry.evaluation import evaluate, log_evaluation, write_plot
from huracan.registry.promotion import promote
from tests.registry.conftest import (  # noqa: F401  (fixtures)
    DAY,
    SYMBOL,
    client,
    model_settings,
    planted,
    register_policy_fixture,
    rule_policy,
)


@dataclass(frozen=True)
class Seeded:
    settings: Settings
    client: MlflowClient
    name: str
    version: str


@pytest.fixture
def seeded(model_settings: Settings, client: MlflowClient, planted, register_policy) -> Seeded:  # noqa: F811
    """A constant all-in policy registered as v1 (challenger), backtested on its test window and judged by the
    gate, which rejects it (its Sharpe does not beat buy & hold's, which it is)."""
    data, _ = planted
    version = register_policy(rule_policy(data))
    evaluation = evaluate(model_settings, client, SYMBOL, DAY)
    log_evaluation(client, evaluation, write_plot(model_settings, evaluation))
    promote(model_settings, client, SYMBOL, DAY)
    return Seeded(model_settings, client, naming.model_name(SYMBOL, DAY), version)

"""Fixtures of the dashboard tests: the registry tests' MLflow store and planted market, and one version
registered, backtested (metrics and plot logged) and judged by the gate, as ``huracan train``,
``huracan backtest`` and ``huracan promote`` leave it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from mlflow import MlflowClient

from huracan.config import Settings
from huracan.registry import naming
from huracan.registry.evaluation import evaluate, log_evaluation, write_plot
from huracan.registry.keys import RunTags
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

# the app tests import Airflow (its auth); like tests/dags/conftest.py (which sets it first when both run),
# point it at a temporary home before it is first imported, so it never writes to ~/airflow
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="huracan-test-dashboard-airflow-"))


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
    name = naming.model_name(SYMBOL, DAY)
    run_id = client.get_model_version(name, version).run_id
    seed_tags = RunTags.from_tags(client.get_run(run_id).data.tags)  # the series, as `huracan train` tags it
    series = replace(seed_tags, exchange=model_settings.exchange, symbol=SYMBOL, timeframe=DAY.name)
    for key, value in series.to_tags().items():
        client.set_tag(run_id, key, value)
    evaluation = evaluate(model_settings, client, SYMBOL, DAY)
    log_evaluation(client, evaluation, write_plot(model_settings, evaluation))
    promote(model_settings, client, SYMBOL, DAY)
    return Seeded(model_settings, client, name, version)


@contextmanager
def signed_in(app: Any, name: str) -> Iterator[TestClient]:
    """A client of ``app`` (mounted at ``/huracan``) for which Airflow's ``get_user`` resolves the admin
    ``name`` (what its login would give); anonymous without it."""
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from airflow.api_fastapi.core_api.security import get_user

    app.dependency_overrides[get_user] = lambda: SimpleAuthManagerUser(username=name, role="admin")
    try:
        with TestClient(app, root_path="/huracan") as client:
            yield client
    finally:
        app.dependency_overrides.clear()

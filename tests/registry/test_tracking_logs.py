"""MLflow's log records reach the host's handlers at their own level, not MLflow's stderr handler."""

from __future__ import annotations

import logging

import pytest

from huracan.registry.tracking import route_mlflow_logs


def test_mlflow_info_propagates_at_info_and_alembic_stays_quiet(caplog: pytest.LogCaptureFixture) -> None:
    import mlflow  # noqa: F401  (its import installs the stderr handler being replaced)

    route_mlflow_logs()
    caplog.set_level(logging.INFO)
    logging.getLogger("mlflow.models.model").info("validating the input example")
    logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")
    assert [(r.name, r.levelno) for r in caplog.records] == [("mlflow.models.model", logging.INFO)]
    assert logging.getLogger("mlflow").handlers == [] and logging.getLogger("mlflow").propagate

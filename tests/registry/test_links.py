"""The MLflow UI links that task logs, DAG run notes and the dashboard share."""

from __future__ import annotations

from huracan.registry.links import mlflow_run_url, mlflow_version_url

UI = "http://localhost:5000"


def test_mlflow_links_are_the_ui_pages_of_the_run_and_the_version() -> None:
    assert mlflow_run_url(UI, "4", "abc123") == "http://localhost:5000/#/experiments/4/runs/abc123"
    assert mlflow_version_url(UI, "huracan-BTC-USDT-1d", 3) == (
        "http://localhost:5000/#/models/huracan-BTC-USDT-1d/versions/3"
    )


def test_every_part_is_percent_encoded_and_a_trailing_slash_is_dropped() -> None:
    assert mlflow_version_url("http://h/", "a b/c", "1") == "http://h/#/models/a%20b%2Fc/versions/1"
    assert mlflow_run_url("http://h/mlflow/", "1/2", "r#1") == "http://h/mlflow/#/experiments/1%2F2/runs/r%231"

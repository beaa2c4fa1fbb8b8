"""Static checks of docker-compose.yaml (no Docker engine here): it must be coherent enough to start."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW_SERVICES = {
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-worker",
    "airflow-triggerer",
}


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yaml").read_text())


def test_every_service_dependency_and_volume_exists() -> None:
    spec = compose()
    services = spec["services"]
    assert {"postgres", "redis", "mlflow"} | AIRFLOW_SERVICES <= set(services)
    named_volumes = set(spec["volumes"])
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown service {dependency}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source == "./logs":
                continue  # created by Docker on first start, written by the containers
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts missing path {source}"
            else:
                assert source in named_volumes, f"{name} mounts undeclared volume {source}"


def test_airflow_services_share_one_configuration() -> None:
    services = compose()["services"]
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["HURACAN_DB_URL"].startswith("postgresql+psycopg2://"), name
        assert env["MLFLOW_TRACKING_URI"] == "http://mlflow:5000", name
        assert services[name]["image"] == "huracan-airflow:latest", name


def test_mlflow_server_accepts_the_host_names_airflow_uses() -> None:
    command = compose()["services"]["mlflow"]["command"]
    assert "mlflow:5000" in command and "--allowed-hosts" in command
    assert "postgresql+psycopg2://" in command


def test_databases_the_services_use_are_created() -> None:
    init_sql = (ROOT / "docs/deploy/init-databases.sql").read_text()
    assert "CREATE DATABASE huracan" in init_sql and "CREATE DATABASE mlflow" in init_sql

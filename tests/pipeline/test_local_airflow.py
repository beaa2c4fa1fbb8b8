"""The project-local Airflow's environment: its own home and folders, sized for the machine."""

from __future__ import annotations

import os
from pathlib import Path

from huracan.pipeline.local_airflow import DAGS_FOLDER, airflow_env


def test_environment_is_project_local_and_sized_for_the_machine(tmp_path: Path) -> None:
    env = airflow_env({"AIRFLOW_HOME": "/elsewhere", "PATH": "/usr/bin"}, tmp_path / "home")
    assert env["AIRFLOW_HOME"] == str((tmp_path / "home").resolve()) and (tmp_path / "home").is_dir()
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(DAGS_FOLDER)
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("sqlite:////")
    assert env["AIRFLOW__CORE__PARALLELISM"] == str(max(2, os.cpu_count() or 2))
    assert env["AIRFLOW__API__WORKERS"] == "1"


def test_a_users_own_sizing_is_kept(tmp_path: Path) -> None:
    env = airflow_env({"AIRFLOW__CORE__PARALLELISM": "8", "AIRFLOW__API__WORKERS": "3"}, tmp_path)
    assert (env["AIRFLOW__CORE__PARALLELISM"], env["AIRFLOW__API__WORKERS"]) == ("8", "3")


def test_the_run_note_connection_points_at_the_local_api_server_as_admin(tmp_path: Path) -> None:
    import json

    from huracan.pipeline.local_airflow import API_CONNECTION_ENV, PASSWORDS_FILE

    env = airflow_env({"AIRFLOW__API__PORT": "8099"}, tmp_path)
    connection = json.loads(env[API_CONNECTION_ENV])
    stored = json.loads((tmp_path / PASSWORDS_FILE).read_text())
    assert connection["host"] == "http://localhost:8099" and connection["login"] == "admin"
    assert connection["password"] == stored["admin"] and len(stored["admin"]) >= 12
    assert (tmp_path / PASSWORDS_FILE).stat().st_mode & 0o077 == 0  # the password file is the owner's only
    # the password Airflow (or an earlier start) chose is kept; a connection the user set is kept too
    (tmp_path / PASSWORDS_FILE).write_text(json.dumps({"admin": "chosen", "viewer": "v"}) + "\n")
    assert json.loads(airflow_env({}, tmp_path)[API_CONNECTION_ENV])["password"] == "chosen"
    assert airflow_env({API_CONNECTION_ENV: "mine"}, tmp_path)[API_CONNECTION_ENV] == "mine"

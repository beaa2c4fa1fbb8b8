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

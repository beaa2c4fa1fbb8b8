"""Airflow for the DAG tests: a temporary ``AIRFLOW_HOME`` (SQLite, no examples, this checkout's dags),
set before Airflow is first imported (it reads its configuration once, at import), and migrated once
per session for the tests that run the DAG.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from huracan.pipeline.local_airflow import DAGS_FOLDER, airflow_command, airflow_env

if "airflow" in sys.modules:
    raise RuntimeError(
        "airflow was imported before tests/dags/conftest.py could point AIRFLOW_HOME at a temporary folder; "
        "import it inside tests or fixtures"
    )
AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="huracan-test-airflow-"))
atexit.register(shutil.rmtree, AIRFLOW_HOME, True)
os.environ.update(airflow_env(os.environ, AIRFLOW_HOME))

DAG_ID = "huracan_training"


@pytest.fixture(scope="session")
def dag_bag() -> Any:
    """The DagBag of this checkout's ``dags/``."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


@pytest.fixture(scope="session")
def training_dag(dag_bag: Any) -> Any:
    """The training DAG as parsed from its file (``DagBag.get_dag`` would need the metadata database)."""
    assert DAG_ID in dag_bag.dags, f"{DAG_ID} not found; import errors: {dag_bag.import_errors}"
    return dag_bag.dags[DAG_ID]


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """The temporary Airflow home, its SQLite database migrated (what ``dag.test()`` needs)."""
    done = subprocess.run(airflow_command("db", "migrate"), env=dict(os.environ), capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return AIRFLOW_HOME

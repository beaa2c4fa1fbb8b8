"""Parse-time discipline: the DAG file imports nothing heavy at module level.

The DAG processor re-parses DAG files constantly, with ``airflow.sdk`` already imported. The file is
imported here in a fresh interpreter in that state; the test fails if any heavy module is loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from huracan.pipeline.local_airflow import DAGS_FOLDER

HEAVY = ("torch", "mlflow", "great_expectations", "ccxt", "stable_baselines3", "pandas", "numpy", "gymnasium")

_PROBE = """
import importlib.util, json, sys, time
import airflow.sdk
before = set(sys.modules)
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("huracan_training_dag", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
elapsed = time.perf_counter() - started
heavy = sorted(name for name in sys.modules if name.split(".")[0] in sys.argv[2].split(","))
print(json.dumps({"elapsed_s": elapsed, "heavy": heavy, "new": len(set(sys.modules) - before)}))
"""


@pytest.mark.parametrize("dag_file", ["huracan_training.py", "huracan_live.py", "huracan_trade_memory.py"])
def test_dag_file_loads_no_heavy_module(dag_file: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(DAGS_FOLDER / dag_file), ",".join(HEAVY)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["heavy"] == [], f"the DAG file loads {probe['heavy']} at parse time"

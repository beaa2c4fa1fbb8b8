"""Pipeline benchmark: ``make run``'s DAG, wall time split by task, and the DAG file's import cost.

1. Runs exactly what ``make run`` runs (:func:`huracan.pipeline.offline_run.execute`: migrate, the
   emulator, ``airflow dags test huracan_training`` with the default config) in a fresh temporary
   Airflow home and Huracan home, so every candle is downloaded and MLflow starts empty, as on a clean
   clone after install. Prints the wall time of each task instance, Airflow's own overhead (DAG run time
   minus the tasks) and the whole. Target: the DAG run under 5 minutes on 2 cores.
2. Imports ``dags/huracan_training.py`` in fresh interpreters that already imported ``airflow.sdk`` (as
   the DAG processor has it) and prints the median and worst import time. Target: under 0.5 s.
3. Runs ``make run-distributed`` (:mod:`huracan.pipeline.distributed`: CeleryExecutor, PostgreSQL, Redis,
   an MLflow server) in a subprocess: the training DAG for three symbols on two Celery workers, then on
   one; prints both wall times, the speed-up and the share of each run in which no task ran (Airflow
   scheduling, queueing and task start-up between tasks). Skip it with ``--no-distributed``.

Usage: ``make bench-pipeline`` or ``.venv/bin/python bench/pipeline.py [--imports N] [--keep] [--no-distributed]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

DAG_TARGET_S = 300.0
IMPORT_TARGET_S = 0.5

_PROBE = """
import importlib.util, json, sys, time
import airflow.sdk
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("huracan_training_dag", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps({"elapsed_s": time.perf_counter() - started}))
"""


def import_times(dag_file: Path, runs: int) -> list[float]:
    """Import time of ``dag_file`` in ``runs`` fresh interpreters with ``airflow.sdk`` already imported, s."""
    times = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, str(dag_file)],
            capture_output=True,
            text=True,
            check=True,
            env=dict(os.environ),
        )
        times.append(json.loads(done.stdout.strip().splitlines()[-1])["elapsed_s"])
    return times


def distributed_runs(scratch: Path) -> dict[str, Any]:
    """``python -m huracan.pipeline.distributed`` (two workers, then one) in a subprocess; its JSON report."""
    report = scratch / "distributed.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}  # not the offline run's SQLite
    command = [sys.executable, "-m", "huracan.pipeline.distributed", "--workers", "2", "--compare"]
    command += ["--run-dir", str(scratch / "distributed"), "--json", str(report)]
    subprocess.run(command, check=True, env=env)
    return dict(json.loads(report.read_text(encoding="utf-8")))


def distributed_table(report: dict[str, Any]) -> Table:
    """Wall time of the training DAG by number of workers, the speed-up and Airflow's share between tasks."""
    table = Table(title="Training DAG, 3 symbols, on Celery workers", title_justify="left")
    for column in ("workers", "wall time", "tasks' own time", "no task running", "speed-up"):
        table.add_column(column, justify="right")
    one = next(run["wall_s"] for run in report["single_worker_runs"] if run["dag_id"] == "huracan_training")
    for run in [*report["runs"], *report["single_worker_runs"]]:
        if run["dag_id"] != "huracan_training":
            continue
        tasks_s = sum(task["duration_s"] or 0.0 for task in run["tasks"])
        table.add_row(
            str(run["workers"]),
            f"{run['wall_s']:.1f} s",
            f"{tasks_s:.1f} s",
            f"{run['between_tasks_frac']:.0%}",
            f"{one / run['wall_s']:.2f}x (ideal {run['workers']}x)",
        )
    return table


def verdict(value: float, target: float) -> str:
    return (
        f"[green]{value / target:.2f}x target[/green]"
        if value <= target
        else f"[red]{value / target:.2f}x target[/red]"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--imports", type=int, default=7, help="fresh interpreters timing the DAG file import")
    parser.add_argument("--keep", action="store_true", help="keep the scratch homes (store, MLflow, logs)")
    parser.add_argument(
        "--distributed",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time the training DAG on two Celery workers and on one (make run-distributed)",
    )
    args = parser.parse_args()
    console = Console()
    scratch = Path(tempfile.mkdtemp(prefix="huracan-bench-pipeline-"))
    os.environ["HURACAN_HOME"] = str(scratch / "huracan")
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    os.environ.pop("HURACAN_DB_URL", None)

    from huracan.config import get_settings
    from huracan.pipeline.local_airflow import DAGS_FOLDER
    from huracan.pipeline.offline_run import OFFLINE_CONF, execute

    get_settings.cache_clear()
    console.rule("[bold]bench/pipeline.py: make run's DAG on a fresh home")
    console.print(
        f"scratch: {scratch} (Airflow and Huracan homes); config: {json.dumps(OFFLINE_CONF)}", highlight=False
    )
    done = execute(OFFLINE_CONF, airflow_home=scratch / "airflow", console=console)
    record = done.record
    if record is None or record.state != "success":
        console.print(f"[red]the DAG run did not succeed[/red]; see {done.log_path}", highlight=False)
        return 1

    table = Table(title="Wall time by task", title_justify="left")
    for column in ("task", "symbol", "state", "seconds", "share"):
        table.add_column(column, justify="right" if column in ("seconds", "share") else "left")
    run_s = record.duration_s or 0.0
    tasks_s = sum(task.duration_s or 0.0 for task in record.tasks)
    for task in record.tasks:
        seconds = task.duration_s or 0.0
        table.add_row(task.task_id, task.label or "", task.state or "-", f"{seconds:.1f}", f"{seconds / run_s:.0%}")
    table.add_row("Airflow between tasks", "", "", f"{run_s - tasks_s:.1f}", f"{(run_s - tasks_s) / run_s:.0%}")
    console.print(table)

    times = import_times(DAGS_FOLDER / "huracan_training.py", args.imports)
    median_import = statistics.median(times)
    summary = Table(title="Pipeline benchmark", title_justify="left")
    for column in ("measure", "value", "target", "verdict"):
        summary.add_column(column, justify="left" if column == "measure" else "right")
    summary.add_row(
        "DAG run (first task start .. last task end)",
        f"{run_s:.1f} s",
        f"{DAG_TARGET_S:.0f} s",
        verdict(run_s, DAG_TARGET_S),
    )
    summary.add_row(
        "`airflow dags test` process (parse, run, exit)",
        f"{done.dag_test_s:.1f} s",
        f"{DAG_TARGET_S:.0f} s",
        verdict(done.dag_test_s, DAG_TARGET_S),
    )
    summary.add_row("`airflow db migrate` (fresh database)", f"{done.migrate_s:.1f} s", "-", "-")
    summary.add_row("make run's work in total (migrate, emulator, DAG)", f"{done.total_s:.1f} s", "-", "-")
    summary.add_row(
        f"DAG file import, median of {len(times)} (airflow.sdk loaded)",
        f"{median_import * 1000:.0f} ms",
        f"{IMPORT_TARGET_S * 1000:.0f} ms",
        verdict(median_import, IMPORT_TARGET_S),
    )
    summary.add_row("DAG file import, worst", f"{max(times) * 1000:.0f} ms", "-", "-")
    console.print(summary)
    if args.distributed:
        console.rule("[bold]bench/pipeline.py: the training DAG on 2 Celery workers, then on 1")
        console.print(distributed_table(distributed_runs(scratch)))
    if args.keep:
        console.print(f"kept: {scratch} (log: {done.log_path})", highlight=False)
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

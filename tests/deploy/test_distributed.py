"""``make run-distributed``, reduced for CI: the training DAG for three symbols on two Celery workers.

The real components run (PostgreSQL databases of the test's own, Redis DB 12 as broker, an MLflow server,
the emulator, Airflow's API server, scheduler and dag-processor with CeleryExecutor, two workers with
concurrency 1), on a tiny training budget and without the one-worker comparison (``make run-distributed``
and ``bench/pipeline.py`` do that). Its wall times are not asserted: they are the benchmark's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import redis
import structlog
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from huracan.pipeline.distributed import TRAINING_CONF, busy_seconds, last_error

PIPELINE_TASKS = {"download", "validate", "train", "backtest", "promote"}
CI_PREFIX = "huracan_dist_ci"
CI_REDIS = "redis://127.0.0.1:6379/12"

intervals = st.lists(
    st.tuples(st.floats(0, 1000), st.floats(0, 100)).map(lambda pair: (pair[0], pair[0] + pair[1])), max_size=30
)


@given(intervals)
def test_busy_time_counts_overlaps_once(spans: list[tuple[float, float]]) -> None:
    busy = busy_seconds(spans)
    assert busy <= sum(end - start for start, end in spans) + 1e-6
    assert busy >= max((end - start for start, end in spans), default=0.0) - 1e-6
    if spans:
        assert busy <= max(end for _, end in spans) - min(start for start, _ in spans) + 1e-6


def test_busy_time_of_known_intervals() -> None:
    assert busy_seconds([(0, 10), (5, 15), (20, 25)]) == 20
    assert busy_seconds([(0, 10), (2, 3)]) == 10
    assert busy_seconds([]) == 0


def test_the_error_of_a_failed_attempt_is_read_from_its_structured_log() -> None:
    # the records as a task's log holds them: structlog's JSON lines, the traceback as a dict
    records: list[dict[str, object]] = []

    def keep(_logger: object, _method: str, event: dict[str, object]) -> dict[str, object]:
        records.append(json.loads(json.dumps(event, default=str)))
        raise structlog.DropEvent

    processors = [structlog.processors.add_log_level, structlog.processors.dict_tracebacks, keep]
    log = structlog.wrap_logger(structlog.PrintLogger(), processors=processors)
    log.info("Task started")
    try:
        raise KeyError("accounts.account")
    except KeyError:
        log.exception("Task failed with exception")
    log.info("Task finished")
    assert last_error(records) == "KeyError: 'accounts.account'"
    assert last_error(records[:1]) == "no error in its log"
    assert last_error([*records[:1], {"level": "error", "event": "worker lost"}]) == "worker lost"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "0"], "--workers must be at least 1"),
        (["--redis-url", "redis://127.0.0.1:6379"], "--redis-url must name a DB number"),
        (["--db-prefix", "Bad-Name"], "--db-prefix must be lower-case"),
        (["--timesteps", "10"], "--timesteps must be at least 1000"),
    ],
)
def test_bad_options_exit_2_with_one_line(args: list[str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "huracan.pipeline.distributed", *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert message in done.stderr.strip().splitlines()[-1]


def test_an_unreachable_postgresql_fails_with_its_address(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "huracan.pipeline.distributed",
        "--pg-url",
        "postgresql+psycopg2://postgres@127.0.0.1:1/postgres",
    ]
    command += ["--redis-url", CI_REDIS, "--run-dir", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "300"})
    assert done.returncode == 1
    assert "PostgreSQL at postgresql+psycopg2://postgres@127.0.0.1:1/postgres: connection to server" in done.stdout


@pytest.mark.postgres
@pytest.mark.slow
def test_the_training_then_the_live_dag_run_on_both_workers_and_everything_stops(tmp_path: Path) -> None:
    pg = os.environ.get("HURACAN_TEST_PG_URL")
    if not pg:
        pytest.skip("HURACAN_TEST_PG_URL is not set; `make test` sets it to the local PostgreSQL")
    admin = make_url(pg).set(database="postgres").render_as_string(hide_password=False)
    report_path = tmp_path / "report.json"
    command = [sys.executable, "-m", "huracan.pipeline.distributed", "--no-compare", "--timesteps", "1000"]
    command += ["--seeds", "0", "--pg-url", admin, "--redis-url", CI_REDIS, "--db-prefix", CI_PREFIX]
    command += ["--run-dir", str(tmp_path / "run"), "--json", str(report_path), "--timeout", "900"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1500, env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]

    report = json.loads(report_path.read_text())
    run, live = report["runs"]
    assert live["dag_id"] == "huracan_live" and live["state"] == "success"
    ticks = [t for t in live["tasks"] if t["task_id"] == "tick"]
    assert sorted(t["label"] for t in ticks) == sorted(TRAINING_CONF["symbols"])
    retried = {(t["task_id"], t["label"]): t["failed_tries"] for t in [*live["tasks"], *run["tasks"]] if t["tries"] > 1}
    assert {(t["state"], t["tries"]) for t in live["tasks"]} == {("success", 1)}, retried
    assert run["dag_id"] == "huracan_training" and run["state"] == "success" and run["workers"] == 2
    tasks = run["tasks"]
    assert {(t["state"], t["tries"]) for t in tasks} == {("success", 1)}, retried  # none needed a retry
    assert {t["hostname"] for t in tasks} == {"worker-1", "worker-2"}
    for symbol in TRAINING_CONF["symbols"]:
        assert {t["task_id"].rsplit(".", 1)[-1] for t in tasks if t["label"] == symbol} == PIPELINE_TASKS
    assert "worker-1" in done.stdout and "worker-2" in done.stdout

    alive = [pid for pid in report["pids"] if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    assert alive == []
    engine = create_engine(admin)
    with engine.connect() as connection:
        left = connection.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": CI_PREFIX + "%"})
        assert left.scalars().all() == []
    engine.dispose()
    assert redis.Redis.from_url(CI_REDIS).dbsize() == 0

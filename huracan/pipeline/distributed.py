"""``make run-distributed``: Huracan's DAGs on Celery workers, with PostgreSQL and Redis, without Docker.

What ``docker-compose.yaml`` deploys, run from this venv on this machine, to show the scale-out works:

1. PostgreSQL (``--pg-url``, the server at 127.0.0.1:5432 by default): three fresh databases,
   ``<prefix>_airflow`` (Airflow's metadata and Celery's result backend), ``<prefix>_store`` (Huracan's
   store, migrated with ``huracan db upgrade``) and ``<prefix>_mlflow`` (the MLflow server's backend);
2. Redis (``--redis-url``, DB 11 of 127.0.0.1:6379 by default) as Celery's broker; that DB is flushed
   before and after;
3. an MLflow tracking server on its database (artifacts in the run folder), the loopback exchange
   emulator serving the runs' symbols;
4. ``airflow api-server`` (the execution API the workers report to, the REST API this runner triggers
   and reads runs through), ``airflow scheduler`` with ``CeleryExecutor``, ``airflow dag-processor``
   and ``--workers`` times ``airflow celery worker --concurrency 1``, each with its own worker name
   (:mod:`huracan.pipeline.worker_hostname`) and its share of the cores (``OMP_NUM_THREADS``), all on
   free loopback ports chosen at run time;
5. with ``--compare``, a small warm-up run of each DAG (not reported), then a fresh store;
6. every entry of :data:`DAG_RUNS` is triggered, waited for and read back (which worker ran each task);
7. with ``--compare`` the workers but one are stopped (warm shutdown) and the same runs repeat on a fresh
   store on that worker; the wall times are compared;
8. everything started is stopped, whatever happened; the databases are dropped unless ``--keep``.

The logs of every component stay in ``$HURACAN_HOME/distributed/<UTC time>/logs``.
Exit code: 0 when every DAG run succeeded and, with two workers or more, the training run's tasks ran on more than one
worker; 1 otherwise; 2 for bad options.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.table import Table

from huracan.pipeline.local_airflow import airflow_command, airflow_env
from huracan.pipeline.worker_hostname import WORKER_NAME_VAR

TRAINING_CONF: dict[str, Any] = {
    "symbols": ["BTC/USDT", "ETH/USDT", "SOL/USDT"],
    "timeframe": "1d",
    "history_start": "2019-01-01",
    "timesteps": 20_000,
    "seeds": [0],
    "promote": True,
}
"""The training DAG's config here: three symbols (one mapped task group each), a small training budget."""


@dataclass(frozen=True)
class DagRunSpec:
    """One DAG run to trigger: the DAG and its run config (the trigger form's params)."""

    dag_id: str
    conf: dict[str, Any]


LIVE_CONF: dict[str, Any] = {"symbols": TRAINING_CONF["symbols"], "timeframe": "1d"}
"""The live DAG's config here: one paper tick per symbol on the daily candles the training DAG used."""

DAG_RUNS: tuple[DagRunSpec, ...] = (
    DagRunSpec("huracan_training", TRAINING_CONF),
    DagRunSpec("huracan_live", LIVE_CONF),
)
"""Triggered in this order, each after the previous one finished; the emulator serves all their symbols."""

EMULATOR_SEED = 7
EMULATOR_MARKET = "planted"
WORKER_NAME = "worker-{n}"
"""Worker ``n``'s name, recorded by Airflow as the host name of the task instances it ran."""
DEFAULT_PG_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"
TERMINAL_STATES = {"success", "failed"}
_DB_PREFIX = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")
_REDIS_DB = re.compile(r"^redis://[^/]+/(\d+)$")


class DistributedRunError(RuntimeError):
    """A component did not start, died, or a step of the run could not be carried out."""


@dataclass(frozen=True)
class TaskRun:
    """One task instance as Airflow recorded it.

    :param task_id: e.g. ``symbol.train``.
    :param label: the symbol of a mapped instance (its rendered map index), "" for unmapped ones.
    :param hostname: the worker that ran it (its ``HURACAN_WORKER_NAME``), "" if it never ran.
    :param start_s: its start, s after the DAG run's start; None if it never ran.
    :param duration_s: wall time of its last attempt, s; None if it never ran.
    :param queued_s: from queued to started (waiting for a free worker slot and the worker's pickup), s.
    :param tries: attempts made (more than 1: it was retried).
    :param failed_tries: for each attempt that failed, in order, the error its log ends with.
    """

    task_id: str
    label: str
    state: str
    tries: int
    hostname: str
    start_s: float | None
    duration_s: float | None
    queued_s: float | None
    failed_tries: tuple[str, ...] = ()


@dataclass(frozen=True)
class DagRunResult:
    """A finished DAG run on ``workers`` Celery workers.

    :param wall_s: the DAG run's wall time as Airflow recorded it (run start to run end), s.
    :param busy_s: time during which at least one task ran, s (the union of the task intervals).
    """

    dag_id: str
    run_id: str
    workers: int
    state: str
    wall_s: float
    busy_s: float
    tasks: tuple[TaskRun, ...]

    @property
    def between_tasks_frac(self) -> float:
        """Share of the wall time in which no task ran: Airflow scheduling, queueing and task start-up."""
        return 1.0 - self.busy_s / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def tasks_by_worker(self) -> dict[str, int]:
        """How many task instances each worker ran."""
        return dict(Counter(task.hostname for task in self.tasks if task.hostname))


@dataclass
class DistributedReport:
    """What :func:`execute` did: the runs on all workers, the same on one worker, where the logs are."""

    run_dir: Path
    runs: list[DagRunResult] = field(default_factory=list)
    single_worker_runs: list[DagRunResult] = field(default_factory=list)
    pids: list[int] = field(default_factory=list)
    """Every process started (all stopped when :func:`execute` returns)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "run_dir": str(self.run_dir),
            "runs": [asdict(run) | {"between_tasks_frac": run.between_tasks_frac} for run in self.runs],
            "single_worker_runs": [
                asdict(run) | {"between_tasks_frac": run.between_tasks_frac} for run in self.single_worker_runs
            ],
            "pids": self.pids,
        }


def busy_seconds(intervals: Iterable[tuple[float, float]]) -> float:
    """Length of the union of ``(start, end)`` intervals, in their unit (overlaps counted once)."""
    total = 0.0
    current_start: float | None = None
    current_end = 0.0
    for start, end in sorted(intervals):
        if current_start is None or start > current_end:
            if current_start is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_start is not None:
        total += current_end - current_start
    return total


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Processes:
    """The processes this run started, each in its own session so that stopping it stops its children."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self._running: dict[str, subprocess.Popen[bytes]] = {}
        self.pids: list[int] = []

    def start(self, name: str, command: list[str], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
        """Start ``command`` with its output in ``<log_dir>/<name>.log``."""
        with (self.log_dir / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=dict(env), start_new_session=True
            )
        self._running[name] = process
        self.pids.append(process.pid)
        return process

    def log_tail(self, name: str, lines: int = 15) -> str:
        try:
            text = (self.log_dir / f"{name}.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def check_alive(self) -> None:
        """:class:`DistributedRunError` naming the first component that exited, with its log's tail."""
        for name, process in self._running.items():
            if process.poll() is not None:
                raise DistributedRunError(
                    f"{name} exited with code {process.returncode}; {self.log_dir / (name + '.log')}:\n"
                    + self.log_tail(name)
                )

    def stop(self, name: str, timeout_s: float = 60.0) -> None:
        """SIGTERM to the process group (a Celery worker shuts down warm), SIGKILL after ``timeout_s``."""
        process = self._running.pop(name)
        for sig, wait_s in ((signal.SIGTERM, timeout_s), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=wait_s)
            except subprocess.TimeoutExpired:
                continue
            with suppress(ProcessLookupError):  # the leader is gone; take any child left in its group with it
                os.killpg(process.pid, signal.SIGKILL)
            break

    def stop_all(self) -> None:
        """Stop every running process, the last started first."""
        for name in reversed(list(self._running)):
            self.stop(name)


def wait_until(what: str, ready: Any, processes: Processes, timeout_s: float, poll_s: float = 1.0) -> Any:
    """Call ``ready()`` until it returns a truthy value (returned); fail when a component died or on timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        processes.check_alive()
        value = ready()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DistributedRunError(f"{what} not ready after {timeout_s:.0f} s; logs in {processes.log_dir}")
        time.sleep(poll_s)


def http_ok(url: str) -> bool:
    """True when ``url`` answers a GET with a 2xx status."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError):
        return False


class AirflowApi:
    """Airflow's REST API (``/api/v2``) as the admin user of the simple auth manager."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._token: str | None = None

    def login(self, passwords_file: Path) -> bool:
        """Get a token with the admin password the API server generated; False while it is not there yet."""
        try:
            password = json.loads(passwords_file.read_text(encoding="utf-8"))["admin"]
        except (OSError, ValueError, KeyError):
            return False
        body = self._call("POST", "/auth/token", {"username": "admin", "password": password}, auth=False)
        self._token = body["access_token"]
        return True

    def _call(self, method: str, path: str, payload: Any = None, auth: bool = True) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self._token}"
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise DistributedRunError(f"Airflow API {method} {path}: HTTP {exc.code} {exc.read()[:500]!r}") from None

    def dag_parsed(self, dag_id: str) -> bool:
        try:
            self._call("GET", f"/api/v2/dags/{dag_id}")
        except DistributedRunError:
            return False
        return True

    def unpause(self, dag_id: str) -> None:
        self._call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})

    def trigger(self, dag_id: str, run_id: str, conf: Mapping[str, Any], run_after: datetime) -> None:
        payload = {"dag_run_id": run_id, "logical_date": None, "run_after": run_after.isoformat(), "conf": conf}
        self._call("POST", f"/api/v2/dags/{dag_id}/dagRuns", payload)

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}"))

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        body = self._call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=1000")
        return list(body["task_instances"])

    def task_log(self, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int) -> list[Any]:
        """The records of one attempt's log (structured: dicts with ``event``, ``level``, ...)."""
        path = f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id)}/taskInstances/{task_id}/logs/{try_number}"
        body = self._call("GET", f"{path}?full_content=true&map_index={map_index}")
        return list(body.get("content") or [])


def attempt_error(api: AirflowApi, dag_id: str, run_id: str, task_id: str, map_index: int, attempt: int) -> str:
    """The error attempt ``attempt`` of a task instance failed with, from its log (or why it is unknown)."""
    try:
        return last_error(api.task_log(dag_id, run_id, task_id, map_index, attempt))
    except DistributedRunError as exc:
        return f"its log could not be read: {exc}"


def last_error(records: Iterable[Any]) -> str:
    """The error an attempt's log ends with: the exception's type and message when the last error record
    carries one (structlog's dict traceback, under ``exception`` or ``error_detail``), else its event."""
    for record in reversed(list(records)):
        if not isinstance(record, dict) or record.get("level") not in ("error", "critical"):
            continue
        traceback = record.get("exception") or record.get("error_detail") or []
        for raised in reversed(traceback if isinstance(traceback, list) else []):
            if isinstance(raised, dict) and raised.get("exc_type"):
                return f"{raised['exc_type']}: {raised.get('exc_value', '')}"
        return str(record.get("event", ""))
    return "no error in its log"


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def read_result(api: AirflowApi, dag_id: str, run_id: str, workers: int) -> DagRunResult:
    """The finished run ``run_id`` and its task instances, from the REST API."""
    run = api.dag_run(dag_id, run_id)
    run_start, run_end = _time(run["start_date"]), _time(run["end_date"])
    if run_start is None or run_end is None:
        raise DistributedRunError(f"{dag_id} run {run_id} has no start or end date: {run}")
    tasks = []
    intervals = []
    for ti in api.task_instances(dag_id, run_id):
        start, end, queued = _time(ti["start_date"]), _time(ti["end_date"]), _time(ti["queued_when"])
        if start is not None and end is not None:
            intervals.append(((start - run_start).total_seconds(), (end - run_start).total_seconds()))
        tasks.append(
            TaskRun(
                task_id=ti["task_id"],
                label=ti["rendered_map_index"] or "" if ti["map_index"] >= 0 else "",
                state=ti["state"] or "none",
                tries=ti["try_number"],
                hostname=ti["hostname"] or "",
                start_s=(start - run_start).total_seconds() if start else None,
                duration_s=ti["duration"],
                queued_s=(start - queued).total_seconds() if start and queued else None,
                failed_tries=tuple(
                    attempt_error(api, dag_id, run_id, ti["task_id"], ti["map_index"], attempt)
                    for attempt in range(1, ti["try_number"] + (ti["state"] == "failed"))
                ),
            )
        )
    tasks.sort(key=lambda task: (task.start_s is None, task.start_s or 0.0))
    return DagRunResult(
        dag_id=dag_id,
        run_id=run_id,
        workers=workers,
        state=run["state"],
        wall_s=(run_end - run_start).total_seconds(),
        busy_s=busy_seconds(intervals),
        tasks=tuple(tasks),
    )


@dataclass(frozen=True)
class Options:
    """The command line, checked (see :func:`parse_options`)."""

    workers: int = 2
    compare: bool = True
    overrides: dict[str, Any] = field(default_factory=dict)
    """Replace these keys of every run config that has them (``--timesteps``, ``--seeds``, ``--symbols``)."""
    pg_url: str = DEFAULT_PG_URL
    redis_url: str = DEFAULT_REDIS_URL
    db_prefix: str = "huracan_dist"
    timeout_s: float = 1800.0
    keep: bool = False
    run_dir: Path | None = None
    json_path: Path | None = None

    def dag_runs(self) -> tuple[DagRunSpec, ...]:
        return tuple(
            replace(spec, conf={**spec.conf, **{k: v for k, v in self.overrides.items() if k in spec.conf}})
            for spec in DAG_RUNS
        )


class Cluster:
    """Huracan's deployment on this machine: databases, broker, MLflow, emulator, Airflow, Celery workers."""

    def __init__(self, options: Options, run_dir: Path, console: Console) -> None:
        from sqlalchemy.engine import make_url

        self.options = options
        self.run_dir = run_dir
        self.console = console
        self.processes = Processes(run_dir / "logs")
        self.processes.log_dir.mkdir(parents=True, exist_ok=True)
        admin = make_url(options.pg_url)
        self._admin_url = admin
        self.db_urls = {
            role: admin.set(database=f"{options.db_prefix}_{role}").render_as_string(hide_password=False)
            for role in ("airflow", "store", "mlflow")
        }
        self.api_port, self.mlflow_port, self.emulator_port = free_port(), free_port(), free_port()
        self.api = AirflowApi(f"http://127.0.0.1:{self.api_port}")
        self.worker_names: list[str] = []
        self.threads_per_worker = max(1, (os.cpu_count() or 1) // options.workers)
        """Compute threads (OpenMP, MKL: torch) of each worker's tasks."""
        symbols = sorted({s for spec in options.dag_runs() for s in spec.conf.get("symbols", [])})
        self.symbols = symbols
        self.env = self._environment()

    def _environment(self) -> dict[str, str]:
        from cryptography.fernet import Fernet

        airflow_home = self.run_dir / "airflow"
        env = airflow_env(os.environ, airflow_home)
        env.update(
            {
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.db_urls["airflow"],
                "AIRFLOW__CELERY__BROKER_URL": self.options.redis_url,
                "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + self.db_urls["airflow"],
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.api_port}/execution/",
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.api_port),
                "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{self.api_port}",
                # one set of secrets for every component, as .env gives the containers
                "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
                "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "huracan.pipeline.worker_hostname.worker_hostname",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(airflow_home / "passwords.json"),
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                # only the runs triggered here: no @daily run of its own when the DAG is unpaused
                "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
                "HURACAN_HOME": str(self.run_dir / "huracan"),
                "HURACAN_DB_URL": self.db_urls["store"],
                "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{self.mlflow_port}",
                "HURACAN_EXCHANGE_URL": f"http://127.0.0.1:{self.emulator_port}",
                "PYTHONUNBUFFERED": "1",
                # MLflow 3.17's telemetry thread sets and unsets an environment variable while the client
                # reads os.environ for proxies: a request to the server then fails with KeyError
                # '_MLFLOW_TELEMETRY_SESSION_ID' (seen here in a backtest task); it also calls out to the internet
                "MLFLOW_DISABLE_TELEMETRY": "true",
            }
        )
        return env

    # -- external services -------------------------------------------------------------------------

    def _admin_sql(self, *statements: str) -> None:
        """Run ``statements`` on the PostgreSQL server as its admin URL's user, outside a transaction."""
        from sqlalchemy import create_engine, exc, text

        engine = create_engine(self._admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                for statement in statements:
                    connection.execute(text(statement))
        except exc.OperationalError as error:
            raise DistributedRunError(
                f"PostgreSQL at {self._admin_url.render_as_string()}: {str(error.orig).strip().splitlines()[0]}"
            ) from None
        finally:
            engine.dispose()

    def reset_database(self, role: str) -> None:
        """Drop (disconnecting any session) and create ``<prefix>_<role>``."""
        name = f"{self.options.db_prefix}_{role}"
        self._admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')

    def drop_databases(self) -> None:
        self._admin_sql(
            *(f'DROP DATABASE IF EXISTS "{self.options.db_prefix}_{role}" WITH (FORCE)' for role in self.db_urls)
        )

    def flush_broker(self) -> None:
        """Empty the broker's Redis DB (only that DB)."""
        import redis

        client = redis.Redis.from_url(self.options.redis_url)
        try:
            client.flushdb()
        except redis.RedisError as error:
            raise DistributedRunError(f"Redis at {self.options.redis_url}: {error}") from None
        finally:
            client.close()

    def _run_step(self, name: str, command: list[str]) -> None:
        with (self.processes.log_dir / f"{name}.log").open("ab") as log:
            done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=self.env, check=False)
        if done.returncode != 0:
            raise DistributedRunError(f"{name} failed with code {done.returncode}:\n{self.processes.log_tail(name)}")

    # -- start and stop ------------------------------------------------------------------------------

    def start(self) -> None:
        """Everything up to workers ready and the DAGs parsed and unpaused."""
        say = self.console.print
        say(f"PostgreSQL {self._admin_url.render_as_string()}: fresh databases {', '.join(self.db_urls.values())}")
        for role in self.db_urls:
            self.reset_database(role)
        say(f"Redis broker {self.options.redis_url} (flushed)")
        self.flush_broker()
        mlflow_url = self.env["MLFLOW_TRACKING_URI"]
        self.processes.start(
            "mlflow",
            [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", self.db_urls["mlflow"],
             "--artifacts-destination", str(self.run_dir / "mlartifacts"),
             "--host", "127.0.0.1", "--port", str(self.mlflow_port), "--workers", "1"],
            self.env,
        )  # fmt: skip
        emulator = [sys.executable, "-m", "huracan", "emulator", "--port", str(self.emulator_port)]
        emulator += ["--seed", str(EMULATOR_SEED), "--market", EMULATOR_MARKET]
        for symbol in self.symbols:
            emulator += ["--symbol", symbol]
        self.processes.start("emulator", emulator, self.env)
        say("migrating Airflow's and Huracan's databases ...")
        self._run_step("airflow-db-migrate", airflow_command("db", "migrate"))
        self._run_step("huracan-db-upgrade", [sys.executable, "-m", "huracan", "db", "upgrade"])
        for component in ("api-server", "scheduler", "dag-processor"):
            self.processes.start(component, airflow_command(component), self.env)
        for n in range(1, self.options.workers + 1):
            self.start_worker(n)
        say(f"MLflow {mlflow_url}, exchange emulator {self.env['HURACAN_EXCHANGE_URL']} ({', '.join(self.symbols)})")
        wait_until("the MLflow server", lambda: http_ok(mlflow_url + "/health"), self.processes, 300)
        wait_until("the exchange emulator", lambda: http_ok(self.env["HURACAN_EXCHANGE_URL"] + "/api/v3/ping"),
                   self.processes, 60)  # fmt: skip
        health = f"{self.api.base_url}/api/v2/monitor/health"
        wait_until("the Airflow API server", lambda: http_ok(health), self.processes, 300)
        passwords = Path(self.env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
        wait_until("the Airflow admin login", lambda: self.api.login(passwords), self.processes, 60)
        say(f"Airflow API server {self.api.base_url} (user admin, password in {passwords})")
        for n in range(1, self.options.workers + 1):
            wait_until(f"Celery worker {n}", lambda n=n: self._worker_ready(n), self.processes, 300)
        say(
            f"{self.options.workers} Celery worker(s) ready: {', '.join(self.worker_names)} "
            f"(concurrency 1, {self.threads_per_worker} compute thread(s) each)"
        )
        for dag_id in dict.fromkeys(spec.dag_id for spec in self.options.dag_runs()):
            wait_until(f"DAG {dag_id} parsed", lambda d=dag_id: self.api.dag_parsed(d), self.processes, 300, 2.0)
            self.api.unpause(dag_id)

    def start_worker(self, n: int) -> None:
        name = WORKER_NAME.format(n=n)
        threads = str(self.threads_per_worker)
        env = {
            **self.env,
            WORKER_NAME_VAR: name,
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            # a worker's share of this machine's cores, as a worker container would get: tasks of
            # different workers do not fight over the same cores, and the one-worker run keeps the budget
            "OMP_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
        }
        command = airflow_command(
            "celery", "worker", "--concurrency", "1", "--celery-hostname", f"{name}@%h",
            "--pid", str(self.run_dir / f"{name}.pid"), "--without-mingle", "--without-gossip",
        )  # fmt: skip
        self.processes.start(name, command, env)
        self.worker_names.append(name)

    def _worker_ready(self, n: int) -> bool:
        name = WORKER_NAME.format(n=n)
        return f"{name}@" in self.processes.log_tail(name, 400) and " ready." in self.processes.log_tail(name, 400)

    def warm_up(self) -> None:
        """One small run of each DAG before the measured ones (not reported), then a fresh store: the first
        run's one-off costs (MLflow experiment and registered model, cold caches) burden neither side."""
        for spec in self.options.dag_runs():
            small = {"symbols": spec.conf.get("symbols", [])[:1], "timesteps": 1000, "seeds": [0]}
            conf = {**spec.conf, **{k: v for k, v in small.items() if k in spec.conf}}
            self.run(replace(spec, conf=conf), "warm-up")
        self.reset_store()

    def stop_workers_but_one(self) -> None:
        """Warm shutdown of every worker but the first."""
        for name in self.worker_names[1:]:
            self.processes.stop(name, timeout_s=120)
        del self.worker_names[1:]

    def reset_store(self) -> None:
        """A fresh, migrated Huracan store (the next runs download and train exactly as the first did)."""
        self.reset_database("store")
        self._run_step("huracan-db-upgrade", [sys.executable, "-m", "huracan", "db", "upgrade"])

    def stop(self) -> None:
        """Stop every process, empty the broker, drop the databases (unless ``--keep``); a cleanup step that
        fails is reported and does not hide the others or the error that ended the run."""
        self.processes.stop_all()
        cleanups = [self.flush_broker] + ([] if self.options.keep else [self.drop_databases])
        for cleanup in cleanups:
            try:
                cleanup()
            except DistributedRunError as error:
                self.console.print(f"[yellow]cleanup: {error}[/yellow]", highlight=False)

    # -- runs ----------------------------------------------------------------------------------------

    def run(self, spec: DagRunSpec, label: str) -> DagRunResult:
        """Trigger ``spec`` (cutoff today 00:00 UTC, as the @daily schedule gives it), wait, read it back."""
        run_id = f"{label}-{datetime.now(tz=UTC):%Y%m%dT%H%M%S}"
        cutoff = datetime.now(tz=UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self.console.print(f"triggering {spec.dag_id} run {run_id} with {json.dumps(spec.conf)}", highlight=False)
        self.api.trigger(spec.dag_id, run_id, spec.conf, cutoff)

        def finished() -> bool:
            return self.api.dag_run(spec.dag_id, run_id)["state"] in TERMINAL_STATES

        wait_until(f"{spec.dag_id} run {run_id}", finished, self.processes, self.options.timeout_s, 5.0)
        return read_result(self.api, spec.dag_id, run_id, len(self.worker_names))


@contextmanager
def _stopped_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into SystemExit while running, so that everything started is stopped."""

    def _exit(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def execute(options: Options, console: Console | None = None) -> DistributedReport:
    """Start the cluster, run :data:`DAG_RUNS` on all workers (then on one with ``compare``), stop it all.

    :raises DistributedRunError: a component did not start or died, or a run timed out.
    """
    from huracan.config import get_settings

    console = console or Console()
    run_dir = options.run_dir or get_settings().home / "distributed" / f"{datetime.now(tz=UTC):%Y%m%dT%H%M%SZ}"
    run_dir = run_dir.resolve()
    report = DistributedReport(run_dir=run_dir)
    cluster = Cluster(options, run_dir, console)
    with _stopped_on_sigterm():
        try:
            cluster.start()
            if options.compare and options.workers > 1:
                cluster.warm_up()
            for spec in options.dag_runs():
                report.runs.append(cluster.run(spec, f"{options.workers}-workers"))
            if options.compare and options.workers > 1:
                console.print("stopping the workers but one; the same runs on one worker, on a fresh store ...")
                cluster.stop_workers_but_one()
                cluster.reset_store()
                for spec in options.dag_runs():
                    report.single_worker_runs.append(cluster.run(spec, "1-worker"))
        finally:
            report.pids = list(cluster.processes.pids)
            cluster.stop()
    return report


def failures(report: DistributedReport, workers: int) -> list[str]:
    """Why the report does not prove the scale-out: failed runs, or all tasks on one worker."""
    problems = []
    for run in [*report.runs, *report.single_worker_runs]:
        if run.state != "success":
            problems.append(f"{run.dag_id} run {run.run_id} ended {run.state}")
    # the training run carries the load (mapped task groups of minutes each); the live run's few short
    # ticks may land on one worker by chance, which proves nothing either way
    for run in report.runs[:1]:
        if workers > 1 and len(run.tasks_by_worker) < 2:
            problems.append(f"{run.dag_id} run {run.run_id}: every task ran on one worker {run.tasks_by_worker}")
    return problems


def render(console: Console, report: DistributedReport) -> None:
    """Which worker ran each task, then wall times on all workers against one."""
    for run in report.runs:
        table = Table(title=f"{run.dag_id} {run.run_id}: {run.state}", title_justify="left")
        for column in ("task", "symbol", "worker", "start s", "seconds", "queued s", "tries", "state"):
            table.add_column(column, justify="right" if column.endswith("s") else "left")
        for task in run.tasks:
            table.add_row(
                task.task_id.rsplit(".", 1)[-1], task.label, task.hostname or "-",
                "-" if task.start_s is None else f"{task.start_s:.1f}",
                "-" if task.duration_s is None else f"{task.duration_s:.1f}",
                "-" if task.queued_s is None else f"{task.queued_s:.1f}",
                str(task.tries),
                task.state,
            )  # fmt: skip
        console.print(table)
        for task in run.tasks:
            for attempt, error in enumerate(task.failed_tries, start=1):
                console.print(f"{task.task_id} {task.label} attempt {attempt} failed: {error}", highlight=False)
    summary = Table(title="Wall time by number of workers", title_justify="left")
    for column in ("DAG", "workers", "wall s", "tasks s", "between tasks", "tasks per worker", "speed-up"):
        summary.add_column(
            column, justify="left" if column in ("DAG", "tasks per worker") else "right", overflow="fold"
        )
    single = {run.dag_id: run for run in report.single_worker_runs}
    for run in [*report.runs, *report.single_worker_runs]:
        one = single.get(run.dag_id)
        summary.add_row(
            run.dag_id, str(run.workers), f"{run.wall_s:.1f}",
            f"{sum(t.duration_s or 0.0 for t in run.tasks):.1f}", f"{run.between_tasks_frac:.0%}",
            ", ".join(f"{host}: {count}" for host, count in sorted(run.tasks_by_worker.items())),
            f"{one.wall_s / run.wall_s:.2f}x" if one is not None and run.wall_s > 0 else "-",
        )  # fmt: skip
    console.print(summary)
    console.print(f"logs: {report.run_dir / 'logs'}", highlight=False)


def parse_options(argv: list[str] | None = None) -> Options:
    """The command line as :class:`Options`; a bad value exits 2 with a one-line error."""
    parser = argparse.ArgumentParser(prog="python -m huracan.pipeline.distributed", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="Celery workers, concurrency 1 each (default 2)")
    parser.add_argument("--compare", action=argparse.BooleanOptionalAction, default=True,
                        help="repeat the runs on one worker and compare the wall times (default on)")  # fmt: skip
    parser.add_argument("--timesteps", type=int, help=f"PPO budget per seed (default {TRAINING_CONF['timesteps']})")
    parser.add_argument("--seeds", type=int, nargs="+", help="training seeds (default 0)")
    parser.add_argument("--symbols", nargs="+", help=f"symbols (default: {' '.join(TRAINING_CONF['symbols'])})")
    parser.add_argument(
        "--pg-url", default=DEFAULT_PG_URL, help="a PostgreSQL server's admin URL (default %(default)s)"
    )
    parser.add_argument(
        "--redis-url", default=DEFAULT_REDIS_URL, help="Celery broker, redis://HOST:PORT/DB (default %(default)s)"
    )
    parser.add_argument("--db-prefix", default="huracan_dist", help="database names' prefix (default %(default)s)")
    parser.add_argument(
        "--timeout", type=float, default=1800.0, help="seconds to wait for one DAG run (default %(default)s)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--run-dir", type=Path, help="logs and homes (default $HURACAN_HOME/distributed/<UTC time>)")
    parser.add_argument("--json", type=Path, dest="json_path", help="also write the results to this JSON file")
    args = parser.parse_args(argv)  # fmt: skip
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, got {args.workers}")
    if args.timesteps is not None and args.timesteps < 1000:
        parser.error(f"--timesteps must be at least 1000 (the DAG's minimum), got {args.timesteps}")
    if not _DB_PREFIX.match(args.db_prefix):
        parser.error(
            f"--db-prefix must be lower-case letters, digits and _ (a PostgreSQL name), got {args.db_prefix!r}"
        )
    if not _REDIS_DB.match(args.redis_url):
        parser.error(f"--redis-url must name a DB number, redis://HOST:PORT/DB, got {args.redis_url!r}")
    if args.timeout <= 0:
        parser.error(f"--timeout must be positive, got {args.timeout}")
    overrides = {
        key: value
        for key, value in (("timesteps", args.timesteps), ("seeds", args.seeds), ("symbols", args.symbols))
        if value is not None
    }
    return Options(
        workers=args.workers,
        compare=args.compare,
        overrides=overrides,
        pg_url=args.pg_url,
        redis_url=args.redis_url,
        db_prefix=args.db_prefix,
        timeout_s=args.timeout,
        keep=args.keep,
        run_dir=args.run_dir,
        json_path=args.json_path,
    )


def write_json(path: Path, report: DistributedReport) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_json(), indent=2, default=str), encoding="utf-8")


def main(argv: list[str] | None = None, out: IO[str] | None = None) -> int:
    """``make run-distributed``; the exit code (0 proved, 1 not)."""
    options = parse_options(argv)
    # tables 120 wide when not on a terminal (make, CI logs), where Rich would assume 80 and cut the columns
    console = Console(file=out, width=None if (out or sys.stdout).isatty() else 120)
    console.rule(f"[bold]Huracan on {options.workers} Celery worker(s): PostgreSQL, Redis, MLflow, Airflow")
    try:
        report = execute(options, console)
    except DistributedRunError as exc:
        console.print(f"[red]{exc}[/red]", highlight=False)
        return 1
    render(console, report)
    if options.json_path is not None:
        write_json(options.json_path, report)
    problems = failures(report, options.workers)
    for problem in problems:
        console.print(f"[red]{problem}[/red]", highlight=False)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

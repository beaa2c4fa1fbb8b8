"""MLflow tracking setup from :class:`~huracan.config.Settings`, never from the working directory.

Every entry point (``huracan train``, ``backtest``, ``promote``, ``compare``, the DAG tasks) calls
:func:`configure_tracking` first. MLflow's own default (``sqlite:///mlflow.db`` and ``./mlruns``) is
relative to the current directory, so Huracan always sets the tracking and registry URI, and creates its
experiments with an explicit artifact location, ``HURACAN_HOME/mlartifacts/<experiment>``, when the
tracking store is local (an MLflow server chooses its own artifact store).
"""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path
from urllib.parse import urlparse

import mlflow
from mlflow import MlflowClient
from mlflow.environment_variables import MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR
from mlflow.exceptions import MlflowException

from huracan.config import Settings

log = logging.getLogger(__name__)

_SERVER_SCHEMES = {"http", "https", "databricks", "databricks-uc", "uc"}


def tracking_uri(settings: Settings) -> str:
    """The MLflow tracking URI of ``settings`` (never None after validation)."""
    return str(settings.mlflow_tracking_uri)


def is_local_store(uri: str) -> bool:
    """True when MLflow would put artifacts on this machine (SQLite, a database URL, a path)."""
    return urlparse(uri).scheme not in _SERVER_SCHEMES


def configure_tracking(settings: Settings) -> MlflowClient:
    """Point MLflow (tracking and registry) at the configured store and return a client for it.

    A SQLite store's directory is created if missing, and its schema is created under a file lock.
    """
    uri = tracking_uri(settings)
    route_mlflow_logs()
    MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR.set(False)  # no progress bars in CLI output and task logs
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    if uri.startswith("sqlite:///"):
        _create_sqlite_store(uri, Path(uri.removeprefix("sqlite:///")))
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def route_mlflow_logs() -> None:
    """Send MLflow's log records to the host's handlers (Airflow's task log, the CLI's console) at their level.

    On import MLflow gives its ``mlflow`` and ``alembic`` loggers a handler of its own on stderr and stops
    them propagating. Airflow files a task's stderr under ERROR, so MLflow's INFO lines (validating the
    input example, ...) showed as errors in task logs. Here both loggers lose that handler and propagate;
    ``alembic`` keeps WARNING, so its per-connection context lines stay out of the logs.
    """
    for name in ("mlflow", "alembic"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _create_sqlite_store(uri: str, path: Path) -> None:
    """Create (migrate) the SQLite tracking store at ``path`` one process at a time.

    MLflow builds its schema on the first connection; two processes doing that at once on a fresh file
    (two ``huracan train`` started together) make one of them fail in Alembic. An exclusive lock on
    ``<file>.init.lock`` serialises it; once the schema exists this costs one short query.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".init.lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            MlflowClient(tracking_uri=uri, registry_uri=uri).search_experiments(max_results=1)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_experiment(settings: Settings, client: MlflowClient, name: str) -> str:
    """Id of the experiment ``name``, created with Huracan's artifact location if it does not exist."""
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return str(experiment.experiment_id)
    location = None
    if is_local_store(tracking_uri(settings)):
        (settings.home / "mlartifacts" / name).mkdir(parents=True, exist_ok=True)
        location = f"{settings.mlflow_artifact_location}/{name}"
    try:
        experiment_id = client.create_experiment(name, artifact_location=location, tags={"huracan": "true"})
    except MlflowException:  # created by another process in between
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise
        return str(experiment.experiment_id)
    log.info("created MLflow experiment %s (artifacts in %s)", name, location or "the server's store")
    return str(experiment_id)

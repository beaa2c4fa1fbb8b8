"""MLflow tracking setup from :class:`~huracan.config.Settings`, never from the working directory.

Every entry point (``huracan train``, ``backtest``, ``promote``, ``compare``, the DAG tasks) calls
:func:`configure_tracking` first. MLflow's own default (``sqlite:///mlflow.db`` and ``./mlruns``) is
relative to the current directory, so Huracan always sets the tracking and registry URI, and creates its
experiments with an explicit artifact location, ``HURACAN_HOME/mlartifacts/<experiment>``, when the
tracking store is local (an MLflow server chooses its own artifact store).
"""

from __future__ import annotations

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

    A SQLite store's directory is created if missing.
    """
    uri = tracking_uri(settings)
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR.set(False)  # no progress bars in CLI output and task logs
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


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

"""Links to the MLflow UI's pages of a run and of a registered model's version, for task logs, DAG run
notes and the dashboard (one helper, so they cannot drift apart).

``ui_url`` is the MLflow UI's base URL, ``HURACAN_MLFLOW_UI_URL``
(:attr:`~huracan.config.Settings.mlflow_ui_url`; ``make mlflow-ui`` serves it). The pages are the UI's
hash routes (MLflow 3: ``#/experiments/<experiment>/runs/<run>`` and ``#/models/<name>/versions/<v>``);
each part is percent-encoded, so a name with a space or a slash still links to its page.
"""

from __future__ import annotations

from urllib.parse import quote


def mlflow_run_url(ui_url: str, experiment_id: str, run_id: str) -> str:
    """The MLflow UI page of run ``run_id`` in experiment ``experiment_id``."""
    return f"{ui_url.rstrip('/')}/#/experiments/{quote(experiment_id, safe='')}/runs/{quote(run_id, safe='')}"


def mlflow_version_url(ui_url: str, model_name: str, version: str | int) -> str:
    """The MLflow UI page of version ``version`` of the registered model ``model_name``."""
    return f"{ui_url.rstrip('/')}/#/models/{quote(model_name, safe='')}/versions/{quote(str(version), safe='')}"

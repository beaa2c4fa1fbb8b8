"""Links a person follows from a task log or a DAG run note: the MLflow UI's run and model-version pages
and a validation's GX Data Docs page.

The MLflow UI's base URL is ``HURACAN_MLFLOW_UI_URL`` (:attr:`~huracan.config.Settings.mlflow_ui_url`,
``make mlflow-ui`` serves it); its pages are the UI's hash routes, the same the dashboard links to. The
Data Docs page is the ``data_docs.html`` the quality gate writes into the validation's report folder, so
its link is a ``file://`` URL on the machine that ran the task.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote


def mlflow_run_url(ui_url: str, experiment_id: str, run_id: str) -> str:
    """The MLflow UI page of run ``run_id`` in experiment ``experiment_id``."""
    return f"{ui_url.rstrip('/')}/#/experiments/{quote(experiment_id, safe='')}/runs/{quote(run_id, safe='')}"


def mlflow_version_url(ui_url: str, model_name: str, version: str | int) -> str:
    """The MLflow UI page of version ``version`` of the registered model ``model_name``."""
    return f"{ui_url.rstrip('/')}/#/models/{quote(model_name, safe='')}/versions/{quote(str(version), safe='')}"


def data_docs_url(report_dir: str | Path | None) -> str | None:
    """The ``file://`` URL of the Data Docs page in ``report_dir``; None without a folder or a page."""
    from huracan.quality.gate import DATA_DOCS_FILE

    if not report_dir:
        return None
    page = Path(report_dir).resolve() / DATA_DOCS_FILE
    return page.as_uri() if page.is_file() else None

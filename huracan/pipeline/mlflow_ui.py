"""``make mlflow-ui``: the MLflow UI on the tracking store the pipeline writes to.

The store comes from :class:`~huracan.config.Settings` (``MLFLOW_TRACKING_URI``, default
``sqlite:///$HURACAN_HOME/mlflow.db``), so the UI shows exactly what ``make run`` and the DAG logged.
Artifacts of Huracan's experiments sit in ``$HURACAN_HOME/mlartifacts`` (the experiments record that
location; the UI serves them from there). Extra arguments go to ``mlflow ui``, e.g. ``--port 5001``.
"""

from __future__ import annotations

import os
import sys

from huracan.config import get_settings


def mlflow_ui_command(extra: list[str]) -> list[str]:
    """``mlflow ui`` on the configured store, loopback port 5000 unless ``extra`` says otherwise."""
    settings = get_settings()
    uri = str(settings.mlflow_tracking_uri)
    if uri.startswith(("http://", "https://")):
        raise SystemExit(f"MLFLOW_TRACKING_URI is a server ({uri}): open it in a browser instead")
    if uri.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(uri.removeprefix("sqlite:///")), exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "ui",
        "--backend-store-uri",
        uri,
        "--default-artifact-root",
        settings.mlflow_artifact_location,
    ]
    if "--host" not in extra:
        command += ["--host", "127.0.0.1"]
    if "--port" not in extra:
        command += ["--port", "5000"]
    return command + extra


def main() -> None:
    command = mlflow_ui_command(sys.argv[1:])
    print(
        f"MLflow UI on {get_settings().mlflow_tracking_uri}: open http://127.0.0.1:"
        f"{command[command.index('--port') + 1]} (Ctrl-C stops it)",
        flush=True,
    )
    os.execv(command[0], command)


if __name__ == "__main__":
    main()

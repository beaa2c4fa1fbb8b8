"""The dashboard as a FastAPI app. Airflow's API server mounts it (``plugins/huracan_dashboard.py``) and
every route depends on Airflow's authentication: a request without a valid JWT from the API server's
login (the ``_token`` cookie the UI sets, or an ``Authorization: Bearer`` header) is refused with 401.

Routes (relative to the mount prefix): ``/`` overview, ``/models/{name}/{version}`` one version,
``/trades`` orders and fills, ``/charts/{name}/{version}.png`` the test-window metrics chart,
``/plots/{name}/{version}/{file}`` a backtest plot logged to the version's run.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from mlflow import MlflowClient

from huracan.config import Settings, get_settings
from huracan.dashboard import charts, pages, reads
from huracan.errors import ModelNotFoundError


def _base(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The dashboard app on ``settings`` (default: the environment's, read at the first request)."""
    from airflow.api_fastapi.core_api.security import requires_authenticated

    app = FastAPI(title="Huracan dashboard", dependencies=[Depends(requires_authenticated())])

    @cache
    def configured() -> tuple[Settings, MlflowClient]:
        from huracan.registry.tracking import configure_tracking

        chosen = settings or get_settings()
        return chosen, configure_tracking(chosen)

    def model_page(name: str, version: str) -> reads.ModelPage:
        try:
            return reads.read_model(configured()[1], name, version)
        except ModelNotFoundError as error:
            raise HTTPException(status_code=404, detail=str(error)) from None

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request) -> str:
        chosen, client = configured()
        return pages.overview_html(reads.read_overview(chosen, client), _base(request))

    @app.get("/models/{name}/{version}", response_class=HTMLResponse)
    def model(request: Request, name: str, version: str) -> str:
        return pages.model_html(model_page(name, version), _base(request), configured()[0].mlflow_ui_url)

    @app.get("/trades", response_class=HTMLResponse)
    def trades(request: Request) -> str:
        return pages.trades_html(reads.read_trades(configured()[0]), _base(request))

    @app.get("/charts/{name}/{version}.png")
    def chart(name: str, version: str) -> Response:
        page = model_page(name, version)
        return Response(charts.metrics_chart(page.row, f"{name} v{version}: test window"), media_type="image/png")

    @app.get("/plots/{name}/{version}/{file}")
    def plot(name: str, version: str, file: str) -> Response:
        page = model_page(name, version)
        wanted = [path for path in page.plots if path.rsplit("/", 1)[-1] == file]
        if not wanted:
            raise HTTPException(status_code=404, detail=f"{name} v{version} has no backtest plot {file!r}")
        with tempfile.TemporaryDirectory() as folder:
            local = configured()[1].download_artifacts(page.row.run_id, wanted[0], folder)
            return Response(Path(local).read_bytes(), media_type="image/png")

    return app

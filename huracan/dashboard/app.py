"""The dashboard as a FastAPI app. Airflow's API server mounts it (``plugins/huracan_dashboard.py``) and
every route depends on Airflow's authentication: a request without a valid JWT from the API server's
login (the ``_token`` cookie the UI sets, or an ``Authorization: Bearer`` header) is refused with 401.

Routes (relative to the mount prefix): ``/`` overview, ``/models/{name}/{version}`` one version (and
``.../validation`` the GX Data Docs of its series' latest training validation), ``/trades`` orders and
fills, ``/trades/{base}/{quote}`` one symbol's win/loss analysis (``?source=paper`` to narrow it),
``/charts/{name}/{version}.png`` the test-window metrics chart, ``/charts/{name}/{version}/paper.png``
the equity and drawdown of its paper record, ``/plots/{name}/{version}/{file}`` a
backtest plot logged to the version's run.

State-changing actions (``reset``, ``pause``, ``resume`` of an account's risk state, see
:mod:`.actions`): ``GET /actions/{action}?account=A`` shows a confirm page and changes nothing; only
``POST /actions/{action}`` (form fields ``account``, ``reason``, ``token``) acts, with a token from that
page issued to the same Airflow user (:mod:`.csrf`; a cross-site request is refused as well). The
action is recorded with the Airflow user's name as the actor.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from mlflow import MlflowClient

from huracan.config import Settings, get_settings
from huracan.dashboard import charts, csrf, pages, reads
from huracan.dashboard.actions import Action, perform
from huracan.errors import ConfigError, ModelNotFoundError, RiskError
from huracan.risk.intent import MAX_ACCOUNT_LEN
from huracan.risk.manager import PAPER_ACCOUNT, RiskManager
from huracan.series import normalize_symbol


def _base(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _now_ms() -> int:
    return int(time.time() * 1000)


def _airflow_secret() -> str:
    """Airflow's ``[api] secret_key`` (the same on every API server worker), or a random key of this
    process when it is unset (confirm pages then expire when the server restarts)."""
    from airflow.configuration import conf

    return conf.get("api", "secret_key", fallback="") or secrets.token_urlsafe(32)


def _account(account: str) -> str:
    if not 0 < len(account) <= MAX_ACCOUNT_LEN or account.strip() != account:
        raise HTTPException(
            status_code=400, detail=f"account must be 1 to {MAX_ACCOUNT_LEN} characters without surrounding spaces"
        )
    return account


def create_app(settings: Settings | None = None, secret_key: str | None = None) -> FastAPI:
    """The dashboard app on ``settings`` (default: the environment's, read at the first request).

    :param secret_key: signs the confirm forms' tokens; None means Airflow's ``[api] secret_key``.
    """
    from airflow.api_fastapi.core_api.security import get_user, requires_authenticated

    app = FastAPI(title="Huracan dashboard", dependencies=[Depends(requires_authenticated())])

    @cache
    def chosen() -> Settings:
        return settings or get_settings()

    @cache
    def client() -> MlflowClient:
        from huracan.registry.tracking import configure_tracking

        return configure_tracking(chosen())

    @cache
    def secret() -> str:
        return secret_key or _airflow_secret()

    def model_page(name: str, version: str) -> reads.ModelPage:
        try:
            return reads.read_model(chosen(), client(), name, version)
        except ModelNotFoundError as error:
            raise HTTPException(status_code=404, detail=str(error)) from None

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request) -> str:
        return pages.overview_html(reads.read_overview(chosen(), client()), _base(request))

    @app.get("/models/{name}/{version}", response_class=HTMLResponse)
    def model(request: Request, name: str, version: str) -> str:
        return pages.model_html(model_page(name, version), _base(request), chosen().mlflow_ui_url)

    @app.get("/models/{name}/{version}/validation")
    def validation(name: str, version: str) -> Response:
        from huracan.quality.gate import DATA_DOCS_FILE

        record = model_page(name, version).validation
        docs = None if record is None or record.report_path is None else Path(record.report_path) / DATA_DOCS_FILE
        if docs is None or not docs.is_file():
            raise HTTPException(status_code=404, detail=f"{name} v{version}: no Data Docs of its series' validation")
        return FileResponse(docs, media_type="text/html")

    @app.get("/trades", response_class=HTMLResponse)
    def trades(request: Request) -> str:
        return pages.trades_html(reads.read_trades(chosen()), _base(request))

    @app.get("/trades/{base}/{quote}", response_class=HTMLResponse)
    def symbol_trades(request: Request, base: str, quote: str, source: str | None = None) -> str:
        try:
            page = reads.read_symbol_trades(chosen(), normalize_symbol(f"{base}/{quote}"), source or None)
        except (ConfigError, ValueError) as error:
            raise HTTPException(status_code=400, detail=str(error)) from None
        return pages.symbol_trades_html(page, _base(request), chosen().account_currency)

    @app.get("/charts/{name}/{version}.png")
    def chart(name: str, version: str) -> Response:
        page = model_page(name, version)
        return Response(charts.metrics_chart(page.row, f"{name} v{version}: test window"), media_type="image/png")

    @app.get("/charts/{name}/{version}/paper.png")
    def paper_chart(name: str, version: str) -> Response:
        page = model_page(name, version)
        times_ms, equity = reads.read_paper_equity(chosen(), page)
        title = f"{name} v{version}: paper account {page.row.shadow.get('account', '-')}"
        return Response(charts.paper_chart(times_ms, equity, title, chosen().account_currency), media_type="image/png")

    @app.get("/plots/{name}/{version}/{file}")
    def plot(name: str, version: str, file: str) -> Response:
        page = model_page(name, version)
        wanted = [path for path in page.plots if path.rsplit("/", 1)[-1] == file]
        if not wanted:
            raise HTTPException(status_code=404, detail=f"{name} v{version} has no backtest plot {file!r}")
        with tempfile.TemporaryDirectory() as folder:
            local = client().download_artifacts(page.row.run_id, wanted[0], folder)
            return Response(Path(local).read_bytes(), media_type="image/png")

    @app.get("/actions/{action}", response_class=HTMLResponse)
    def confirm(request: Request, action: Action, account: str = PAPER_ACCOUNT, user: Any = Depends(get_user)) -> str:
        account = _account(account)
        state = RiskManager.from_settings(chosen()).state(account)
        token = csrf.issue_token(secret(), user.get_id(), action.value, account, _now_ms())
        return pages.confirm_html(action, state, user.get_name(), token, _base(request))

    @app.post("/actions/{action}", response_class=HTMLResponse)
    def act(
        request: Request,
        action: Action,
        account: Annotated[str, Form()],
        token: Annotated[str, Form()] = "",
        reason: Annotated[str, Form()] = "",
        user: Any = Depends(get_user),
    ) -> HTMLResponse:
        base = _base(request)
        if request.headers.get("sec-fetch-site") == "cross-site":
            return _refused(403, "a state-changing request from another site is refused", base)
        account = _account(account)
        try:
            csrf.check_token(secret(), token, user.get_id(), action.value, account, _now_ms())
        except csrf.CsrfError as error:
            return _refused(403, str(error), base)
        if not reason.strip():
            return _refused(400, "the reason is required: it is recorded with the action", base)
        manager = RiskManager.from_settings(chosen())
        try:
            before, after = perform(manager, action, account, reason, user.get_name(), _now_ms())
        except RiskError as error:
            return _refused(409, str(error), base)
        return HTMLResponse(pages.done_html(action, before, after, user.get_name(), base))

    return app


def _refused(status: int, message: str, base: str) -> HTMLResponse:
    return HTMLResponse(pages.refused_html(message, base), status_code=status)

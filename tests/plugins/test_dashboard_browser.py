"""The dashboard plugin in Airflow's real API server (SimpleAuthManager, project-local AIRFLOW_HOME),
driven by chromium through playwright: an anonymous request is refused; after logging in through the UI the
overview shows the challenger and a rendered chart, and its link opens the model page, whose trades link
opens the symbol's trades page; a tripped breaker is reset through the confirm page and recorded with the
Airflow user's name. Screenshots go to ``<tmp>/artifacts``.

Before the browser, plain HTTP with a JWT from the API server's ``/auth/token`` checks the actions' guards
in the real server: a POST without the confirm page's token is refused, the confirm page changes nothing.
Without ``/usr/bin/chromium`` the browser part is skipped and the confirmed reset is made over HTTP; under
CI (``CI`` set, as CI systems do; ``.ci/run`` installs chromium) a missing browser fails the test instead."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from huracan.pipeline.distributed import Processes, free_port, http_ok, wait_until
from huracan.pipeline.local_airflow import PASSWORDS_FILE, airflow_command, airflow_env
from huracan.risk import AccountSnapshot, PositionMark, RiskManager, TradingState
from tests.dashboard.conftest import Seeded
from tests.registry.conftest import SYMBOL

T0 = 1_763_629_200_000  # 2025-11-20 09:00 UTC

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def _request(url: str, form: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """Status and body of a GET, or of a POST of ``form`` (URL-encoded) when given."""
    data = None if form is None else urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()


def _status(url: str) -> int:
    return _request(url)[0]


def _jwt(base_url: str, password: str) -> str:
    body = json.dumps({"username": "admin", "password": password}).encode()
    request = urllib.request.Request(f"{base_url}/auth/token", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return str(json.loads(response.read())["access_token"])


def _trip_the_breaker(manager: RiskManager) -> None:
    """The paper account at 100,000, then 100,900, then 99,850: 1,050 below the high-water mark, HALTED."""
    for equity, at_ms in ((100_000.0, T0), (100_900.0, T0 + 3_600_000), (99_850.0, T0 + 86_400_000)):
        manager.observe(AccountSnapshot("paper", at_ms, equity, {SYMBOL: PositionMark(0.0, 50_000.0, at_ms)}))


def require_browser_under_ci(chromium: Path, environ: dict[str, str]) -> None:
    """Fail when ``environ`` says CI (``CI`` set and not ``false``/``0``) and ``chromium`` is missing: CI
    installs it, so the browser part must run there, never be skipped."""
    if environ.get("CI", "").strip().lower() not in ("", "false", "0") and not chromium.exists():
        pytest.fail(
            f"CI is set but {chromium} is missing: the browser part must run under CI (apt-get install -y chromium)"
        )


def test_under_ci_a_missing_browser_fails_instead_of_skipping(tmp_path: Path) -> None:
    missing, present = tmp_path / "chromium", tmp_path / "present"
    present.touch()
    with pytest.raises(pytest.fail.Exception, match="browser part must run under CI"):
        require_browser_under_ci(missing, {"CI": "true"})
    require_browser_under_ci(present, {"CI": "true"})
    for environ in ({}, {"CI": "false"}, {"CI": "0"}):
        require_browser_under_ci(missing, environ)  # off CI the browser part may be skipped


def test_dashboard_behind_login_in_a_real_api_server(seeded: Seeded, tmp_path: Path) -> None:
    require_browser_under_ci(CHROMIUM, dict(os.environ))
    manager = RiskManager.from_settings(seeded.settings)
    _trip_the_breaker(manager)
    assert manager.state("paper").trading_state is TradingState.HALTED

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    home = tmp_path / "airflow"
    env = airflow_env(os.environ, home)
    env.update(
        {
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": base_url,
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / PASSWORDS_FILE),
            "HURACAN_HOME": str(seeded.settings.home),
            "HURACAN_DB_URL": seeded.settings.db_url,
            "MLFLOW_TRACKING_URI": str(seeded.settings.mlflow_tracking_uri),
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "PYTHONUNBUFFERED": "1",
        }
    )
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    processes = Processes(artifacts)
    try:
        migrate = subprocess.run(airflow_command("db", "migrate"), env=env, capture_output=True, text=True, timeout=300)
        assert migrate.returncode == 0, migrate.stdout[-2000:] + migrate.stderr[-2000:]
        processes.start("api-server", airflow_command("api-server"), env)
        wait_until("the API server", lambda: http_ok(f"{base_url}/api/v2/monitor/health"), processes, 300)
        dashboard = f"{base_url}/huracan/"
        assert _status(dashboard) in (401, 403), "an anonymous request must be refused"
        reset_url = f"{base_url}/huracan/actions/reset"
        assert _request(reset_url, {"account": "paper", "reason": "x", "token": "1.x"})[0] == 401
        password = json.loads((home / PASSWORDS_FILE).read_text(encoding="utf-8"))["admin"]
        bearer = {"Authorization": f"Bearer {_jwt(base_url, password)}"}
        status, confirm = _request(f"{reset_url}?account=paper", headers=bearer)
        assert status == 200 and 'name="token"' in confirm, confirm[-2000:]
        status, refused = _request(reset_url, {"account": "paper", "reason": "x"}, bearer)
        assert status == 403 and "Nothing was changed" in refused
        assert manager.state("paper").trading_state is TradingState.HALTED
        if CHROMIUM.exists():
            _browse(base_url, password, seeded, manager, artifacts)
        else:  # the confirmed reset over HTTP; the browser part needs chromium
            token = re.search(r'name="token" value="([^"]+)"', confirm)
            assert token is not None
            form = {"account": "paper", "reason": "checked the feed", "token": token.group(1)}
            status, done = _request(reset_url, form, bearer)
            assert status == 200 and "reset by admin: checked the feed" in done, done[-2000:]
    finally:
        processes.stop_all()
    _assert_reset_by_admin(manager)
    if not CHROMIUM.exists():
        pytest.skip("the browser part needs /usr/bin/chromium (apt-get install -y chromium)")
    shots = ("overview.png", "model.png", "trades.png", "confirm-reset.png", "reset-done.png")
    assert all((artifacts / name).stat().st_size > 0 for name in shots)


def _assert_reset_by_admin(manager: RiskManager) -> None:
    assert manager.state("paper").trading_state is TradingState.ACTIVE
    event = manager.store.events("paper")[0]
    assert (event.actor, event.code.value) == ("admin", "reset") and "checked the feed" in event.message


def _browse(base_url: str, password: str, seeded: Seeded, manager: RiskManager, artifacts: Path) -> None:
    """Log in through the UI, open the overview, the model page and the trades page, and reset the breaker."""
    from playwright.sync_api import sync_playwright

    dashboard = f"{base_url}/huracan/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(f"{base_url}/")
        page.locator("input[type=password]").wait_for(timeout=60_000)
        page.locator("input:not([type=password])").first.fill("admin")
        page.locator("input[type=password]").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_function("() => !location.pathname.startsWith('/auth')", timeout=60_000)
        page.screenshot(path=str(artifacts / "airflow-home.png"))

        page.goto(dashboard)
        row = page.locator("tr.version-row").first
        assert "challenger" in row.inner_text()
        chart = page.locator("img.chart").first
        chart.wait_for()
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.chart')].every(i => i.complete)", timeout=60_000
        )
        assert chart.evaluate("img => img.naturalWidth") > 0
        page.screenshot(path=str(artifacts / "overview.png"), full_page=True)

        row.locator("a").first.click()
        page.wait_for_url(f"**/huracan/models/{seeded.name}/{seeded.version}")
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.chart')].every(i => i.complete && i.naturalWidth > 0)",
            timeout=60_000,
        )
        assert page.locator("#gate").inner_text().count("rejected") >= 1
        page.screenshot(path=str(artifacts / "model.png"), full_page=True)

        page.locator("a.symbol-trades").first.click()
        page.wait_for_url(f"**/huracan/trades/{SYMBOL}")
        assert f"No round trip of {SYMBOL}" in page.locator("#no-trades").inner_text()
        page.screenshot(path=str(artifacts / "trades.png"), full_page=True)

        page.goto(dashboard)
        page.locator("#accounts a.action", has_text="reset the circuit breaker").click()
        page.wait_for_url("**/huracan/actions/reset?account=paper")
        assert manager.state("paper").trading_state is TradingState.HALTED  # the confirm page changes nothing
        page.locator("#reason").fill("checked the feed")
        page.screenshot(path=str(artifacts / "confirm-reset.png"), full_page=True)
        page.locator("#confirm").click()
        done = page.locator("#done").inner_text()
        assert "HALTED → ACTIVE" in done and "reset by admin: checked the feed" in done
        page.screenshot(path=str(artifacts / "reset-done.png"), full_page=True)
        browser.close()

"""The dashboard plugin in Airflow's real API server (SimpleAuthManager, project-local AIRFLOW_HOME),
driven by chromium through playwright: an anonymous request is refused; after logging in through the UI the
overview shows the challenger and a rendered chart, and its link opens the model page. Screenshots go to
``<tmp>/artifacts``."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from huracan.pipeline.distributed import Processes, free_port, http_ok, wait_until
from huracan.pipeline.local_airflow import PASSWORDS_FILE, airflow_command, airflow_env
from tests.dashboard.conftest import Seeded

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install -y chromium)"),
]


def _status(url: str) -> int:
    request = urllib.request.Request(url)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_dashboard_behind_login_in_a_real_api_server(seeded: Seeded, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

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
        password = json.loads((home / PASSWORDS_FILE).read_text(encoding="utf-8"))["admin"]

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
            browser.close()
    finally:
        processes.stop_all()
    assert all((artifacts / name).stat().st_size > 0 for name in ("overview.png", "model.png"))

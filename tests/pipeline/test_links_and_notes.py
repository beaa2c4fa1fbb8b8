"""The Data Docs link tasks log (the MLflow links: tests/registry/test_links.py), the DAG run note the promote task writes, and the MLflow run names.

The note goes through a real HTTP server on loopback speaking the part of Airflow's REST API it uses
(``POST /auth/token``, ``GET``/``PATCH /api/v2/dags/{dag_id}/dagRuns/{run_id}``), so the requests, the
authentication and the merge of two symbols' lines are what Airflow would receive.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

import pytest

from huracan.clock import parse_instant_ms
from huracan.pipeline.jobs import SeriesJob
from huracan.pipeline.links import data_docs_url
from huracan.pipeline.run_note import (
    NOTE_MAX_CHARS,
    compose_note,
    merge_note,
    promotion_line,
    publish_note,
    shortfalls,
)
from huracan.pipeline.tasks import mlflow_run_name, rounded, trigger_of

UI = "http://localhost:5000/"
THRESHOLDS = {"max_drawdown_frac": 0.5, "min_sharpe_margin": 0.0, "min_shadow_ticks": 0}
EVIDENCE = {
    "window_start_ms": parse_instant_ms("2025-11-03"),
    "window_end_ms": parse_instant_ms("2026-12-02"),
    "challenger_sharpe": 0.41,
    "challenger_max_drawdown": 0.62,
    "buy_and_hold_sharpe": 0.55,
    "champion_sharpe": None,
    "median_seed_sharpe": 0.38,
}
CHECKS = [
    {"name": "beats_champion", "passed": True, "detail": "no champion yet"},
    {"name": "beats_buy_and_hold", "passed": False, "detail": "Sharpe 0.410 <= buy & hold 0.550"},
    {"name": "beats_flat", "passed": True, "detail": "Sharpe 0.410 > flat 0.000"},
    {"name": "max_drawdown", "passed": False, "detail": "max drawdown 62.0% > limit 50.0%"},
    {"name": "median_seed", "passed": False, "detail": "median Sharpe of 3 seeds 0.380 <= 0.550"},
]


def _promoted(decision: str = "rejected", **extra: Any) -> dict[str, Any]:
    return {
        "model_name": "huracan-BTC-USDT-1d",
        "version": "3",
        "decision": decision,
        "verdict": "rejected" if decision == "rejected" else decision,
        "checks": CHECKS,
        "evidence": EVIDENCE,
        "thresholds": THRESHOLDS,
        "champion_version": None,
        **extra,
    }


def test_data_docs_link_is_the_pages_file_url_only_when_it_was_written(tmp_path: Path) -> None:
    assert data_docs_url(None) is None
    assert data_docs_url(tmp_path) is None  # no page in the folder
    (tmp_path / "data_docs.html").write_text("<html></html>")
    assert data_docs_url(str(tmp_path)) == (tmp_path / "data_docs.html").resolve().as_uri()


def test_a_rejection_says_what_each_failed_check_needed_and_by_how_much() -> None:
    assert shortfalls(CHECKS, EVIDENCE, THRESHOLDS) == [
        "Sharpe 0.41 needed > buy & hold's 0.55 (short by 0.14)",
        "max drawdown 62.0% needed ≤ 50.0% (12.0 points too deep)",
        "median seed Sharpe 0.38 needed > 0.55 (short by 0.17)",
    ]
    with_champion = {**EVIDENCE, "champion_sharpe": 0.9, "challenger_sharpe": float("nan")}
    failed = [{"name": "beats_champion", "passed": False, "detail": "..."}]
    margin = {**THRESHOLDS, "min_sharpe_margin": 0.1}
    assert shortfalls(failed, with_champion, margin) == [
        "Sharpe NaN needed > the champion's 0.90 + margin 0.1 (not measurable)"
    ]
    assert shortfalls(
        [{"name": "shadow_period", "passed": False, "detail": "3 shadow ticks < the 10 required"}], EVIDENCE, THRESHOLDS
    ) == ["3 shadow ticks < the 10 required"]


def test_the_note_line_of_a_rejection_links_the_version_and_gives_the_numbers() -> None:
    line = promotion_line("BTC/USDT", "1d", _promoted(), UI)
    assert line.startswith(
        "- **BTC/USDT 1d** [v3](http://localhost:5000/#/models/huracan-BTC-USDT-1d/versions/3): **rejected**, needed: "
        "Sharpe 0.41 needed > buy & hold's 0.55 (short by 0.14); max drawdown 62.0% needed ≤ 50.0%"
    )
    assert line.endswith(
        "test 2025-11-03 .. 2026-12-02: Sharpe 0.41 vs buy & hold 0.55, no champion; max drawdown 62.0% (limit 50%)"
    )
    assert "1762128000000" not in line  # dates, not epoch ms


def test_the_note_line_of_a_promotion_and_of_a_dry_run() -> None:
    passed = [dict(check, passed=True) for check in CHECKS]
    evidence = {**EVIDENCE, "challenger_sharpe": 1.2, "champion_sharpe": 0.9, "challenger_max_drawdown": 0.2}
    line = promotion_line(
        "ETH/USDT", "1d", _promoted("promoted", checks=passed, evidence=evidence, champion_version="2"), UI
    )
    assert "**promoted** to champion (replaces v2)" in line
    assert "Sharpe 1.20 vs buy & hold 0.55, champion v2 0.90; max drawdown 20.0%" in line
    dry = promotion_line("BTC/USDT", "1d", _promoted("not applied", verdict="rejected"), UI)
    assert "gate says rejected (promote off: no alias moved); needed: Sharpe 0.41 needed > buy & hold's" in dry


def test_merging_replaces_only_the_symbols_own_line_and_keeps_airflows_limit() -> None:
    btc = promotion_line("BTC/USDT", "1d", _promoted(), UI)
    eth = promotion_line("ETH/USDT", "1d", _promoted(), UI)
    note = merge_note(merge_note(None, btc), eth)
    assert note.splitlines() == [btc, eth]
    again = promotion_line("BTC/USDT", "1d", _promoted("promoted", champion_version="1"), UI)
    assert merge_note(note, again).splitlines() == [eth, again]
    assert merge_note("a person's own remark", btc).splitlines() == ["a person's own remark", btc]
    long = compose_note([btc] * 20)
    assert len(long) == NOTE_MAX_CHARS and long.endswith("…")


def test_mlflow_run_names_say_symbol_version_trigger_and_time() -> None:
    job = SeriesJob(
        "binance",
        "BTC/USDT",
        "1d",
        0,
        0,
        parse_instant_ms("2026-12-02T18:00:00Z"),
        1000,
        (0, 1),
        True,
        "manual__2026-12-02T18:00:00.123+00:00",
    )
    assert mlflow_run_name(job) == "BTC-USDT 1d · manual · 2026-12-02T18:00Z"
    assert mlflow_run_name(job, "3") == "BTC-USDT 1d v3 · manual · 2026-12-02T18:00Z"
    assert mlflow_run_name(job, "3", seed=1) == "BTC-USDT 1d v3 · seed 1 · manual · 2026-12-02T18:00Z"
    assert [trigger_of(label) for label in ("scheduled__x", "asset_triggered__x", "backfill__x", "my-run", "")] == [
        "scheduled",
        "asset",
        "backfill",
        "manual",
        "cli",
    ]


def test_results_carry_rounded_floats() -> None:
    assert rounded({"a": [0.123456789, 2], "b": {"c": -4.476250361440829}, "d": "x", "e": float("inf")}) == {
        "a": [0.123457, 2],
        "b": {"c": -4.47625},
        "d": "x",
        "e": float("inf"),
    }


class _FakeAirflowApi(BaseHTTPRequestHandler):
    """The REST API calls publish_note makes, with one user and the notes of the runs it was given."""

    notes: ClassVar[dict[str, str | None]] = {}
    calls: ClassVar[list[tuple[str, str]]] = []

    def log_message(self, *args: Any) -> None:  # keep the test output clean
        pass

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        return dict(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))

    def _run(self) -> str | None:
        if self.headers.get("Authorization") != "Bearer t0ken":
            self._answer(401, {"detail": "Not authenticated"})
            return None
        path = urlsplit(self.path).path
        prefix = "/api/v2/dags/huracan_training/dagRuns/"
        return unquote(path.removeprefix(prefix)) if path.startswith(prefix) else None

    def do_POST(self) -> None:
        self.calls.append(("POST", self.path))
        body = self._body()
        if self.path == "/auth/token" and body == {"username": "admin", "password": "pw"}:
            self._answer(201, {"access_token": "t0ken"})
        else:
            self._answer(401, {"detail": "Invalid credentials"})

    def do_GET(self) -> None:
        self.calls.append(("GET", self.path))
        run_id = self._run()
        if run_id is not None:
            self._answer(200, {"dag_run_id": run_id, "note": self.notes.get(run_id)})

    def do_PATCH(self) -> None:
        self.calls.append(("PATCH", self.path))
        run_id = self._run()
        if run_id is not None and urlsplit(self.path).query == "update_mask=note":
            self.notes[run_id] = self._body()["note"]
            self._answer(200, {"dag_run_id": run_id, "note": self.notes[run_id]})


@pytest.fixture
def airflow_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeAirflowApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    _FakeAirflowApi.notes, _FakeAirflowApi.calls = {}, []
    connection = {"conn_type": "http", "host": url, "login": "admin", "password": "pw"}
    monkeypatch.setenv("AIRFLOW_CONN_HURACAN_AIRFLOW_API", json.dumps(connection))
    yield url
    server.shutdown()
    server.server_close()


def test_publishing_merges_each_symbols_line_into_the_runs_note(airflow_api: str) -> None:
    run_id = "manual__2026-12-02T18:00:00+00:00"
    btc = promotion_line("BTC/USDT", "1d", _promoted(), UI)
    eth = promotion_line("ETH/USDT", "1d", _promoted(), UI)
    assert publish_note("huracan_training", run_id, btc) == f"run note set through the Airflow API at {airflow_api}"
    assert publish_note("huracan_training", run_id, eth).startswith("run note set")
    assert _FakeAirflowApi.notes[run_id] == f"{btc}\n{eth}"
    assert (
        "PATCH",
        "/api/v2/dags/huracan_training/dagRuns/manual__2026-12-02T18%3A00%3A00%2B00%3A00?update_mask=note",
    ) in (_FakeAirflowApi.calls)


def test_a_refused_login_or_no_api_leaves_the_note_and_says_why(
    airflow_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = {"conn_type": "http", "host": airflow_api, "login": "admin", "password": "nope"}
    monkeypatch.setenv("AIRFLOW_CONN_HURACAN_AIRFLOW_API", json.dumps(wrong))
    said = publish_note("huracan_training", "r1", "- **BTC/USDT 1d** x")
    assert said == f"run note not set: the Airflow API at {airflow_api} answered HTTP 401 Unauthorized"
    assert _FakeAirflowApi.notes == {}
    nowhere = {"conn_type": "http", "host": "http://127.0.0.1:9", "login": "admin", "password": "pw"}
    monkeypatch.setenv("AIRFLOW_CONN_HURACAN_AIRFLOW_API", json.dumps(nowhere))
    assert publish_note("huracan_training", "r1", "x").startswith(
        "run note not set: the Airflow API at http://127.0.0.1:9"
    )
    monkeypatch.delenv("AIRFLOW_CONN_HURACAN_AIRFLOW_API")
    assert publish_note("huracan_training", "r1", "x").startswith("run note not set: no Airflow connection")

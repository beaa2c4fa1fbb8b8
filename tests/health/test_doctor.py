"""``huracan doctor``: each check passes on a healthy system and fails, naming the cause, when its dependency is
broken (the exchange is the real loopback emulator, reached through ccxt)."""

from __future__ import annotations

import json
import re
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huracan.cli.main import app
from huracan.config import Settings, get_settings
from huracan.data.candle_store import CandleStore
from huracan.data.db import open_engine
from huracan.health.doctor import Check, Status, check_dags, run_checks
from huracan.health.health_store import HealthStore, TickHealth, TickStatus
from huracan.health.watch import Watch
from huracan.market.emulator import Emulator
from huracan.risk.manager import RiskManager
from huracan.risk.snapshot import AccountSnapshot
from huracan.series import SeriesKey

HOUR_MS = 3_600_000


@pytest.fixture
def live_emulator() -> Iterator[Emulator]:
    """An emulator on the real clock (clock skew about 0)."""
    with Emulator(seed=3, symbols=("BTC/USDT",)) as emulator:
        yield emulator


@pytest.fixture
def healthy(settings: Settings, live_emulator: Emulator, mlflow_template: Path) -> Settings:
    """Settings of a migrated store, an MLflow store, the live emulator and a fresh BTC/USDT 1h candle."""
    settings.home.mkdir(parents=True, exist_ok=True)
    shutil.copy(mlflow_template, settings.home / "mlflow.db")
    healthy = settings.model_copy(update={"exchange_url": live_emulator.url, "live_timeframe": "1h"})
    open_engine(healthy.store_url)
    last_open = (int(time.time() * 1000) // HOUR_MS - 1) * HOUR_MS
    CandleStore.open(healthy.store_url).upsert(SeriesKey("binance", "BTC/USDT", "1h"), [[last_open, 1, 1, 1, 1, 1]])
    return healthy


def _by_name(settings: Settings, dags: Path | None = None) -> dict[str, Check]:
    checks = list(run_checks(settings, dags) if dags else run_checks(settings))
    return {check.name: check for check in checks}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_healthy_system_passes_all_but_the_missing_champion(healthy: Settings) -> None:
    checks = _by_name(healthy)
    assert {name: c.status for name, c in checks.items() if c.status is not Status.PASS} == {
        "champion BTC/USDT": Status.FAIL
    }
    assert "clock skew" in checks["exchange"].detail
    assert "reachable, schema at revision" in checks["store"].detail


def test_no_champion_fails_with_train_and_promote(healthy: Settings) -> None:
    check = _by_name(healthy)["champion BTC/USDT"]
    assert check.status is Status.FAIL
    assert check.detail == "huracan-BTC-USDT-1h has no champion"
    assert "huracan train --symbol BTC/USDT --timeframe 1h" in check.fix


def test_exchange_down_fails(healthy: Settings) -> None:
    down = healthy.model_copy(update={"exchange_url": f"http://127.0.0.1:{_free_port()}"})
    check = _by_name(down)["exchange"]
    assert check.status is Status.FAIL
    assert check.detail.startswith(f"{down.exchange_url} unreachable: ")
    assert "HURACAN_EXCHANGE_URL" in check.fix


def test_exchange_clock_skew_fails(healthy: Settings) -> None:
    with Emulator(seed=3, symbols=("BTC/USDT",), clock_ms=int(time.time() * 1000) - 5_000) as behind:
        check = _by_name(healthy.model_copy(update={"exchange_url": behind.url}))["exchange"]
    assert check.status is Status.FAIL
    assert "its clock is -" in check.detail and "limit 1000 ms" in check.detail
    assert "NTP" in check.fix


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_unreachable_store_fails_and_skips_the_store_checks(healthy: Settings) -> None:
    broken = healthy.model_copy(update={"db_url": f"postgresql+psycopg2://postgres@127.0.0.1:{_free_port()}/nope"})
    checks = _by_name(broken)
    assert checks["store"].status is Status.FAIL
    assert checks["store"].detail.startswith("unreachable: store postgresql+psycopg2://postgres@127.0.0.1:")
    assert "HURACAN_DB_URL" in checks["store"].fix
    assert checks["breaker"].detail == "not checked: the store check failed"
    assert checks["candles BTC/USDT 1h"].status is Status.FAIL


def test_unmigrated_store_fails_with_db_upgrade(settings: Settings, live_emulator: Emulator) -> None:
    check = _by_name(settings.model_copy(update={"exchange_url": live_emulator.url}))["store"]
    assert check.status is Status.FAIL
    assert "is at schema revision none" in check.detail
    assert check.fix == "run `huracan db upgrade`"


def test_stale_candles_fail(healthy: Settings) -> None:
    key = SeriesKey("binance", "ETH/USDT", "1h")
    CandleStore.open(healthy.store_url).upsert(
        key, [[(int(time.time() * 1000) // HOUR_MS - 10) * HOUR_MS, 1, 1, 1, 1, 1]]
    )
    checks = _by_name(healthy.model_copy(update={"doctor_symbols": "BTC/USDT,ETH/USDT"}))
    assert checks["candles BTC/USDT 1h"].status is Status.PASS
    stale = checks["candles ETH/USDT 1h"]
    # closed 9 to 10 hours ago, depending on the minute the test runs at (9.96 prints as 10.0)
    assert stale.status is Status.FAIL
    assert re.fullmatch(r"stale: the newest candle closed (9\.\d|10\.0) candles ago \(limit 2\)", stale.detail)
    assert "huracan download --symbol ETH/USDT --timeframe 1h" in stale.fix


def test_missing_candles_fail(healthy: Settings) -> None:
    check = _by_name(healthy.model_copy(update={"doctor_symbols": "SOL/USDT"}))["candles SOL/USDT 1h"]
    assert check.status is Status.FAIL and check.detail == "no binance SOL/USDT 1h candles stored"


def test_tripped_breaker_fails(healthy: Settings) -> None:
    manager = RiskManager.from_settings(healthy)
    now = int(time.time() * 1000)
    manager.observe(AccountSnapshot("paper", now - 1000, 100_000.0))
    manager.observe(AccountSnapshot("paper", now, 100_000.0 - healthy.risk_breaker_loss_quote - 1))
    check = _by_name(healthy)["breaker"]
    assert check.status is Status.FAIL and check.detail.startswith("account paper HALTED: ")
    assert "huracan risk reset --account paper" in check.fix


def test_a_paused_account_fails_and_its_fix_is_a_resume_not_a_reset(healthy: Settings) -> None:
    RiskManager.from_settings(healthy).pause("paper", "maintenance", "alice", int(time.time() * 1000))
    check = _by_name(healthy)["breaker"]
    assert check.status is Status.FAIL and "paused by alice: maintenance" in check.detail
    assert "`huracan risk resume --account paper --reason '...'`" in check.fix and "reset" not in check.fix


def _tick_row(account: str, decision_ms: int, status: TickStatus, error: str | None, watch: Watch) -> TickHealth:
    return TickHealth(account, "BTC/USDT", "1h", decision_ms, status, 120, None, error, "m", "1", watch, decision_ms)


def test_the_latest_tick_failed_or_drifted_warns(healthy: Settings) -> None:
    store = HealthStore.open(healthy.store_url)
    assert _by_name(healthy)["ticks BTC/USDT 1h"].detail == "no live tick recorded yet"
    store.record(_tick_row("paper", 1_654_066_800_000, TickStatus.OK, None, Watch()))
    assert _by_name(healthy)["ticks BTC/USDT 1h"].status is Status.PASS
    store.record(_tick_row("paper", 1_654_070_400_000, TickStatus.FAILED, "exchange said no", Watch()))
    failed = _by_name(healthy)["ticks BTC/USDT 1h"]
    assert failed.status is Status.WARN
    assert failed.detail == "the tick of 2022-06-01 08:00: account paper failed: exchange said no"
    assert "huracan live-step --symbol BTC/USDT --timeframe 1h" in failed.fix
    store.record(_tick_row("paper", 1_654_070_400_000, TickStatus.OK, None, Watch(drift_frac=0.5)))  # the retry
    drifted = _by_name(healthy)["ticks BTC/USDT 1h"]
    assert drifted.status is Status.WARN and "50% of the observation's market features" in drifted.detail


def test_full_disk_fails(healthy: Settings) -> None:
    check = _by_name(healthy.model_copy(update={"doctor_min_free_disk_bytes": 2**62}))["disk"]
    assert check.status is Status.FAIL and "GiB free at" in check.detail


def test_broken_dag_file_fails(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text("X = 1\n")
    (tmp_path / "bad.py").write_text("import huracan_no_such_module\n")
    check = check_dags(tmp_path)
    assert check.status is Status.FAIL
    assert check.detail == "bad.py: No module named 'huracan_no_such_module'"


def test_real_dag_files_import() -> None:
    assert check_dags().status is Status.PASS


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_cli_json_exits_1_on_a_fail(healthy: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HURACAN_HOME", str(healthy.home))
    monkeypatch.setenv("HURACAN_DB_URL", healthy.store_url)
    monkeypatch.setenv("HURACAN_EXCHANGE_URL", str(healthy.exchange_url))
    monkeypatch.setenv("HURACAN_LIVE_TIMEFRAME", "1h")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["doctor", "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is False
    statuses = {check["name"]: check["status"] for check in report["checks"]}
    assert statuses["store"] == "PASS" and statuses["exchange"] == "PASS"
    assert statuses["champion BTC/USDT"] == "FAIL"

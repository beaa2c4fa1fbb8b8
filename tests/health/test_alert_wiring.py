"""The live tick and the DAGs' failure callback raise their alerts through the configured notifier: once per
event, at a loopback JSON webhook (the exchange is the real emulator, through ccxt)."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from huracan.cli.main import app
from huracan.clock import parse_instant_ms
from huracan.config import get_settings
from huracan.health.alerts import alert_champion_change, alert_tick
from huracan.market.emulator import Emulator
from huracan.market.emulator.signing import DEFAULT_API_KEY, DEFAULT_API_SECRET
from huracan.pipeline.dag_rules import alert_on_failure
from huracan.risk.manager import RiskManager
from huracan.risk.snapshot import AccountSnapshot

from .test_alerts import Receiver

CLOCK = parse_instant_ms("2022-06-01T06:30:00Z")


def test_a_stale_tick_alerts_once_over_its_retries(cli_env: Callable[..., Emulator], webhook: Receiver) -> None:
    cli_env(CLOCK)
    for _ in range(2):  # the task's retry runs the same tick again
        stale = CliRunner().invoke(app, ["live-step", "-s", "BTC/USDT", "-t", "1h", "--at", "2022-06-02T06:30:00Z"])
        assert stale.exit_code == 1 and "staleness" in stale.output
    assert [body["title"] for body in webhook.bodies] == ["stale data: binance BTC/USDT 1h"]
    assert "failed the data-quality gate" in webhook.bodies[0]["message"]


def test_a_breaker_trip_after_a_tick_alerts_once(cli_env: Callable[..., Emulator], webhook: Receiver) -> None:
    cli_env(CLOCK)
    settings = get_settings()
    manager = RiskManager.from_settings(settings)
    manager.observe(AccountSnapshot("paper", CLOCK, 100_000.0))
    manager.observe(AccountSnapshot("paper", CLOCK + 60_000, 100_000.0 - settings.risk_breaker_loss_quote - 1))
    alert_tick(settings, ["paper"])
    alert_tick(settings, ["paper"])
    assert [body["title"] for body in webhook.bodies] == ["breaker trip: account paper HALTED"]


def test_the_failure_callback_alerts_a_failed_tick_once(cli_env: Callable[..., Emulator], webhook: Receiver) -> None:
    cli_env(CLOCK)
    ti = SimpleNamespace(dag_id="huracan_live", run_id="scheduled__2022-06-01", task_id="tick", map_index=0)
    for _ in range(2):
        alert_on_failure({"ti": ti, "exception": RuntimeError("exchange said no")})
    assert [(b["title"], b["message"]) for b in webhook.bodies] == [
        ("failed tick: huracan_live.tick[0]", "exchange said no")
    ]


def test_a_receiver_that_is_down_fails_neither_the_tick_nor_the_callback(
    cli_env: Callable[..., Emulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_env(CLOCK)
    monkeypatch.setenv("HURACAN_ALERT_URLS", "json://127.0.0.1:9/hook")
    get_settings.cache_clear()
    stale = CliRunner().invoke(app, ["live-step", "-s", "BTC/USDT", "-t", "1h", "--at", "2022-06-02T06:30:00Z"])
    assert stale.exit_code == 1 and "failed the data-quality gate" in stale.output  # the tick's own error
    ti = SimpleNamespace(dag_id="huracan_live", run_id="r", task_id="tick", map_index=-1)
    alert_on_failure({"ti": ti, "exception": RuntimeError("boom")})  # returns, does not raise


def test_a_champion_change_alerts_once(cli_env: Callable[..., Emulator], webhook: Receiver) -> None:
    cli_env(CLOCK)
    for _ in range(2):  # the promote task's retry
        alert_champion_change(get_settings(), "huracan-BTC-USDT-1d", "3", "2", "Sharpe 1.2 > 0.8")
    assert [(b["title"], b["message"]) for b in webhook.bodies] == [
        ("champion change: huracan-BTC-USDT-1d v3", "replacing v2: Sharpe 1.2 > 0.8")
    ]


def test_a_reconciliation_mismatch_alerts_once(
    cli_env: Callable[..., Emulator], webhook: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = cli_env(CLOCK)
    monkeypatch.setenv("HURACAN_LIVE_TRADING", "true")
    monkeypatch.setenv("HURACAN_EXCHANGE_API_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("HURACAN_EXCHANGE_SECRET", DEFAULT_API_SECRET)
    get_settings.cache_clear()
    order = ["order", "-s", "BTC/USDT", "--side", "buy", "--quote", "1000", "--mode", "live"]
    first = CliRunner().invoke(app, order)
    assert first.exit_code == 0, first.output
    emulator.trading.engine.set_balance(DEFAULT_API_KEY, "BTC", 0)  # someone emptied the account by hand
    for _ in range(2):  # found, then found halted
        refused = CliRunner().invoke(app, order)
        assert refused.exit_code == 1 and "halted" in refused.output
    assert [body["title"] for body in webhook.bodies] == ["reconciliation mismatch"]
    assert "the book holds" in webhook.bodies[0]["message"]
    assert DEFAULT_API_SECRET not in str(webhook.bodies)

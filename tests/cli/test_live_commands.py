"""``huracan live-step`` without a model, on stale candles, and live mode's refusals (the model path runs in
test_model_commands; live mode's orders in tests/live/test_live_mode.py)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from huracan.cli.main import app
from huracan.clock import parse_instant_ms
from huracan.config import get_settings
from huracan.live.decisions import DecisionStore
from huracan.market.emulator import Emulator
from huracan.market.emulator.signing import DEFAULT_API_KEY, DEFAULT_API_SECRET

CLOCK = parse_instant_ms("2022-06-01T06:30:00Z")
runner = CliRunner()


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def live_trading_on(monkeypatch: pytest.MonkeyPatch, secret: bool = True) -> None:
    """``HURACAN_LIVE_TRADING=true`` and the emulator's test key (and secret, unless ``secret`` is False)."""
    monkeypatch.setenv("HURACAN_LIVE_TRADING", "true")
    monkeypatch.setenv("HURACAN_EXCHANGE_API_KEY", DEFAULT_API_KEY)
    if secret:
        monkeypatch.setenv("HURACAN_EXCHANGE_SECRET", DEFAULT_API_SECRET)
    get_settings.cache_clear()


def test_a_tick_without_a_champion_records_that_and_does_nothing_else(cli_env: Callable[..., Emulator]) -> None:
    cli_env(CLOCK)
    tick = run("live-step", "-s", "BTC/USDT", "-t", "1h", "--json")
    assert tick.exit_code == 0, tick.output
    report = json.loads(tick.stdout)
    assert report["decision"] == "2022-06-01T06:00:00Z" and report["accounts"] == {}
    assert "no champion for huracan-BTC-USDT-1h yet" in report["note"]
    assert "passed" in report["validation"]
    assert json.loads(run("orders", "--json").stdout) == []


def test_stale_candles_stop_the_tick_with_the_gates_report(cli_env: Callable[..., Emulator]) -> None:
    cli_env(CLOCK)
    # the exchange has nothing after its clock: a tick a day later finds its candles a day old
    stale = run("live-step", "-s", "BTC/USDT", "-t", "1h", "--at", "2022-06-02T06:30:00Z")
    assert stale.exit_code == 1
    assert "failed the data-quality gate" in stale.output and "staleness" in stale.output


def test_live_mode_is_refused_without_the_setting_and_keys(cli_env: Callable[..., Emulator]) -> None:
    cli_env(CLOCK)
    live = run("live-step", "-s", "BTC/USDT", "-t", "1h", "--mode", "live")
    assert live.exit_code == 2 and "HURACAN_LIVE_TRADING=true" in live.output
    assert "HURACAN_EXCHANGE_API_KEY" in live.output and "HURACAN_EXCHANGE_SECRET" in live.output


def test_live_mode_without_keys_names_them_and_touches_nothing(
    cli_env: Callable[..., Emulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = cli_env(CLOCK)
    live_trading_on(monkeypatch, secret=False)
    live = run("live-step", "-s", "BTC/USDT", "-t", "1h", "--mode", "live")
    assert live.exit_code == 2 and "HURACAN_EXCHANGE_SECRET" in live.output
    assert "HURACAN_LIVE_TRADING" not in live.output and "HURACAN_EXCHANGE_API_KEY" not in live.output
    assert emulator.request_count() == 0  # refused before anything is synced


@pytest.mark.parametrize("model", ["challenger", "3"])
def test_live_mode_trades_the_champion_only(
    cli_env: Callable[..., Emulator], monkeypatch: pytest.MonkeyPatch, model: str
) -> None:
    emulator = cli_env(CLOCK)
    live_trading_on(monkeypatch)
    live = run("live-step", "-s", "BTC/USDT", "-t", "1h", "--mode", "live", "--model", model)
    assert live.exit_code == 2, live.output
    assert "--model" in live.output and "champion only" in live.output and "paper" in live.output
    assert DEFAULT_API_SECRET not in live.output
    assert emulator.request_count() == 0


def test_a_live_tick_without_a_champion_records_that_for_the_live_account(
    cli_env: Callable[..., Emulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = cli_env(CLOCK)
    live_trading_on(monkeypatch)
    tick = run("live-step", "-s", "BTC/USDT", "-t", "1h", "--mode", "live", "--json")
    assert tick.exit_code == 0, tick.output
    report = json.loads(tick.stdout)
    assert report["mode"] == "live" and report["accounts"] == {} and "no champion" in report["note"]
    assert emulator.request_count("/api/v3/order", "POST", status=None) == 0
    decisions = DecisionStore.open(get_settings().store_url)
    (decision,) = decisions.history("live", "BTC/USDT", "1h")
    assert decision.action is None and "no champion" in decision.note

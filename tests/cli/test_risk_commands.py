"""``huracan risk status`` and ``huracan risk reset`` as a user runs them: output, exit codes, what is recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from huracan.cli.main import app
from huracan.clock import parse_instant_ms
from huracan.config import get_settings
from huracan.data.db import dispose_engines
from huracan.risk import AccountSnapshot, PositionMark, RiskLimits, RiskManager, RiskStore, TradingState

runner = CliRunner()
T0 = parse_instant_ms("2026-11-20T09:00:00Z")  # in the past: reset uses the wall clock
HOUR_MS = 3_600_000


@pytest.fixture
def risk(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[RiskManager]:
    """The command line's environment on ``store_url``, and a manager with the default limits on it."""
    monkeypatch.setenv("HURACAN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HURACAN_DB_URL", store_url)
    monkeypatch.setenv("COLUMNS", "300")
    get_settings.cache_clear()
    yield RiskManager(RiskLimits(), RiskStore.open(store_url))
    get_settings.cache_clear()
    dispose_engines()


def observe(risk: RiskManager, equity_quote: float, at_ms: int, account: str = "paper") -> None:
    risk.observe(AccountSnapshot(account, at_ms, equity_quote, {"BTC/USDT": PositionMark(0.0, 50_000.0, at_ms)}))


def halt(risk: RiskManager) -> None:
    """100,000, then 100,900 (the high-water mark), then 99,850 a day later (1,050 down: the breaker is at 99,900)."""
    observe(risk, 100_000.0, T0)
    observe(risk, 100_900.0, T0 + HOUR_MS)
    observe(risk, 99_850.0, T0 + 24 * HOUR_MS)


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


def test_status_of_an_account_never_seen(risk: RiskManager) -> None:
    result = run("risk", "status")
    assert result.exit_code == 0, result.output
    assert "account paper (USDT): nothing recorded yet" in result.output
    data = json.loads(run("risk", "status", "--json").output)
    assert data["observed"] is False and data["state"] == "active" and data["limits"]["max_position_quote"] == 5_000


def test_status_of_a_halted_account(risk: RiskManager) -> None:
    halt(risk)
    result = run("risk", "status")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "HALTED since 2026-11-21 09:00 UTC" in out
    assert "circuit breaker tripped: equity 99,850.00 <= high-water mark 100,900.00 - 1,000.00 = 99,900.00" in out
    assert "99,850.00 (day of 2026-11-21 00:00 UTC)" in out  # the first snapshot of the day
    assert "trips at equity 99,900.00" in out and "distance -50.00" in out
    assert "ACTIVE -> HALTED by risk" in out
    data = json.loads(run("risk", "status", "--json").output)
    assert data["state"] == "halted" and data["reason_code"] == "breaker"
    assert data["since"] == "2026-11-21T09:00:00Z" and data["high_water_quote"] == 100_900.0
    assert data["daily_pnl_quote"] == 0.0 and data["daily_loss_room_quote"] == 500.0
    assert data["breaker_level_quote"] == 99_900.0 and data["breaker_distance_quote"] == -50.0
    assert data["events"][0]["to"] == "halted"


def test_status_of_a_reducing_account_shows_its_daily_pnl(risk: RiskManager) -> None:
    observe(risk, 100_000.0, T0)
    observe(risk, 99_400.0, T0 + HOUR_MS)  # -600 on the day
    data = json.loads(run("risk", "status", "--json").output)
    assert data["state"] == "reducing" and data["reason_code"] == "daily_loss_limit"
    assert data["daily_pnl_quote"] == -600.0 and data["daily_loss_room_quote"] == -100.0
    assert data["reducing_until"] == "2026-11-21T00:00:00Z"


def test_reset_refuses_without_a_reason(risk: RiskManager) -> None:
    halt(risk)
    result = run("risk", "reset")
    assert result.exit_code == 2 and "Missing option '--reason'" in result.output
    result = run("risk", "reset", "--reason", "   ")
    assert result.exit_code == 2 and "--reason" in result.output and "must say why" in result.output
    assert risk.state("paper").trading_state is TradingState.HALTED
    assert len(risk.store.events("paper")) == 1  # only the trip


def test_reset_lifts_the_breaker_and_records_who_and_why(risk: RiskManager) -> None:
    halt(risk)
    result = run("risk", "reset", "--reason", "stale feed fixed", "--by", "alice")
    assert result.exit_code == 0, result.output
    assert "account paper: HALTED -> ACTIVE; reset by alice: stale feed fixed" in result.output
    assert "high-water mark restarts at the latest equity 99,850.00" in result.output
    state = risk.state("paper")
    assert state.trading_state is TradingState.ACTIVE and state.high_water_quote == 99_850.0
    event = risk.store.events("paper")[0]
    assert (event.actor, event.code.value) == ("alice", "reset") and "stale feed fixed" in event.message
    again = run("risk", "reset", "--reason", "twice")
    assert again.exit_code == 0 and "account paper is ACTIVE" in again.output and "nothing to reset" in again.output
    assert len(risk.store.events("paper")) == 2


def test_reset_refuses_to_lift_a_daily_limit(risk: RiskManager) -> None:
    observe(risk, 100_000.0, T0)
    observe(risk, 99_400.0, T0 + HOUR_MS)
    result = run("risk", "reset", "--reason", "I feel lucky")
    assert result.exit_code == 1
    assert (
        "account 'paper' is REDUCING, not HALTED" in result.output and "only lifts the circuit breaker" in result.output
    )
    assert risk.state("paper").trading_state is TradingState.REDUCING


def test_reset_of_an_unknown_account_and_bad_input(risk: RiskManager) -> None:
    result = run("risk", "reset", "--reason", "x", "--account", "nobody")
    assert result.exit_code == 1 and "account nobody has no recorded risk state" in result.output
    result = run("risk", "status", "--account", "")
    assert result.exit_code == 2 and "--account" in result.output and "must be 1 to 64 characters" in result.output
    assert risk.store.accounts() == []


def test_a_bad_risk_setting_is_one_line_naming_the_variable(risk: RiskManager, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HURACAN_RISK_MAX_HEAT_FRAC", "2")
    get_settings.cache_clear()
    result = run("risk", "status")
    assert result.exit_code == 1
    assert "HURACAN_RISK_MAX_HEAT_FRAC" in result.output and "less than or equal to 1" in result.output
    assert "Traceback" not in result.output


def test_pause_halts_new_exposure_and_resume_lifts_it_both_recorded(risk: RiskManager) -> None:
    observe(risk, 100_000.0, T0)
    result = run("risk", "pause", "--reason", "exchange maintenance", "--by", "bob")
    assert result.exit_code == 0, result.output
    assert "account paper: ACTIVE -> HALTED; paused by bob: exchange maintenance" in result.output
    state = risk.state("paper")
    assert state.trading_state is TradingState.HALTED and state.reason_code.value == "paused"
    status = json.loads(run("risk", "status", "--json").output)
    assert status["state"] == "halted" and status["reason_code"] == "paused"
    again = run("risk", "pause", "--reason", "twice", "--by", "bob")
    assert again.exit_code == 0 and "already paused" in again.output and "nothing to do" in again.output

    refused = run("risk", "reset", "--reason", "wrong lever", "--by", "bob")
    assert refused.exit_code == 1 and "stays paused: `huracan risk resume` lifts a pause" in refused.output
    assert risk.state("paper").reason_code.value == "paused"

    result = run("risk", "resume", "--reason", "maintenance over", "--by", "carol")
    assert result.exit_code == 0, result.output
    assert "account paper: HALTED -> ACTIVE; resumed by carol: maintenance over" in result.output
    events = risk.store.events("paper")
    assert [(e.actor, e.code.value, e.to_state.value) for e in events[:2]] == [
        ("carol", "resumed", "active"),
        ("bob", "paused", "halted"),
    ]
    assert "exchange maintenance" in events[1].message and "maintenance over" in events[0].message
    assert risk.state("paper").high_water_quote == 100_000.0  # a pause keeps the breaker's reference
    idle = run("risk", "resume", "--reason", "again", "--by", "carol")
    assert idle.exit_code == 0 and "nothing to resume" in idle.output
    assert len(risk.store.events("paper")) == 2


def test_pause_and_resume_refuse_what_they_do_not_lift(risk: RiskManager) -> None:
    halt(risk)
    result = run("risk", "pause", "--reason", "x", "--by", "bob")
    assert result.exit_code == 1 and "HALTED by the breaker" in result.output
    result = run("risk", "resume", "--reason", "x", "--by", "bob")
    assert result.exit_code == 1 and "not paused" in result.output and "`huracan risk reset`" in result.output
    assert risk.state("paper").reason_code.value == "breaker" and len(risk.store.events("paper")) == 1
    for command in ("pause", "resume"):
        blank = run("risk", command, "--reason", " ", "--by", "bob")
        assert blank.exit_code == 2 and "--reason" in blank.output
        nobody = run("risk", command, "--reason", "x", "--by", " ")
        assert nobody.exit_code == 2 and "--by" in nobody.output


def test_a_pause_of_an_account_never_seen_holds_from_its_first_snapshot(risk: RiskManager) -> None:
    result = run("risk", "pause", "--account", "live", "--reason", "not yet", "--by", "bob")
    assert result.exit_code == 0, result.output
    observe(risk, 50_000.0, T0, account="live")
    observe(risk, 50_000.0, T0 + 48 * HOUR_MS, account="live")  # a new day does not lift a pause
    state = risk.state("live")
    assert state.trading_state is TradingState.HALTED and state.reason_code.value == "paused"
    assert state.day_start_equity_quote == 50_000.0 and state.high_water_quote == 50_000.0

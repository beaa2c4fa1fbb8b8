"""The persisted risk manager on SQLite and PostgreSQL: one transaction per check, state across restarts,
replayed checks, resets, and the same decisions as the pure :func:`evaluate`."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, func, select

from huracan.data.db import dispose_engines, open_engine
from huracan.data.schema import risk_decisions, risk_events
from huracan.errors import RiskError
from huracan.risk import (
    AccountSnapshot,
    OrderIntent,
    ReasonCode,
    RiskLimits,
    RiskManager,
    RiskState,
    RiskStore,
    TradingState,
    Verdict,
    evaluate,
)

Intent = Callable[..., OrderIntent]
Snapshot = Callable[..., AccountSnapshot]
HOUR_MS = 3_600_000


def manager(url: str, limits: RiskLimits | None = None) -> RiskManager:
    return RiskManager(limits or RiskLimits(), RiskStore.open(url))


def count(url: str, table: Table) -> int:
    with open_engine(url).connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def trip_breaker(risk: RiskManager, make_snapshot: Snapshot, now_ms: int) -> None:
    """Equity 100,000 then 98,900 an hour later: 1,100 below the high-water mark trips the 1,000 breaker."""
    risk.observe(make_snapshot(100_000.0, {"BTC/USDT": (0.0, 50_000.0)}, now_ms=now_ms))
    risk.observe(make_snapshot(98_900.0, {"BTC/USDT": (0.0, 50_000.0)}, now_ms=now_ms + HOUR_MS))


def test_a_check_records_the_decision_and_the_state(
    store_url: str, make_intent: Intent, make_snapshot: Snapshot, now_ms: int
) -> None:
    risk = manager(store_url)
    snap = make_snapshot(100_000.0, {"BTC/USDT": (0.0, 50_000.0)})
    decision = risk.check(make_intent("BTC/USDT", "buy", 0.2, 50_000.0), snap)
    assert decision.verdict is Verdict.RESIZED and decision.approved_qty_base == pytest.approx(0.1)
    dispose_engines()  # a new engine reads what the first wrote
    store = RiskStore.open(store_url)
    [stored] = store.decisions("paper")
    assert stored == decision
    state = store.state("paper")
    assert state is not None and state.high_water_quote == 100_000.0 and state.updated_ms == now_ms
    assert state.day_start_equity_quote == 100_000.0 and state.trading_state is TradingState.ACTIVE
    assert store.accounts() == ["paper"]


def test_a_retried_check_returns_the_recorded_decision_and_changes_nothing(
    store_url: str, make_intent: Intent, make_snapshot: Snapshot, now_ms: int
) -> None:
    risk = manager(store_url)
    intent = make_intent("BTC/USDT", "buy", 0.05, 50_000.0)
    first = risk.check(intent, make_snapshot(100_000.0, {"BTC/USDT": (0.0, 50_000.0)}))
    state = risk.state("paper")
    # the retry sees the position the first attempt bought and a later clock: it still gets the first answer
    again = risk.check(intent, make_snapshot(97_500.0, {"BTC/USDT": (0.05, 50_000.0)}, now_ms=now_ms + 60_000))
    assert again == first and risk.state("paper") == state
    assert count(store_url, risk_decisions) == 1
    with pytest.raises(RiskError, match=r"already decided with other fields: qty_base 0.05 -> 0.07"):
        risk.check(
            make_intent("BTC/USDT", "buy", 0.07, 50_000.0), make_snapshot(100_000.0, {"BTC/USDT": (0.0, 50_000.0)})
        )
    assert count(store_url, risk_decisions) == 1


def test_breaker_trip_is_an_event_and_reset_records_reason_and_who(
    store_url: str, make_intent: Intent, make_snapshot: Snapshot, now_ms: int
) -> None:
    risk = manager(store_url, RiskLimits(daily_loss_limit_quote=2_000.0))  # only the breaker is reached
    trip_breaker(risk, make_snapshot, now_ms)
    [trip] = risk.store.events("paper")
    assert (trip.from_state, trip.to_state, trip.code, trip.actor) == (
        TradingState.ACTIVE,
        TradingState.HALTED,
        ReasonCode.BREAKER,
        "risk",
    )
    assert trip.equity_quote == 98_900.0 and trip.high_water_quote == 100_000.0
    with pytest.raises(RiskError, match="must say why"):
        risk.reset("paper", "  ", "alice", now_ms + 2 * HOUR_MS)
    assert risk.state("paper").trading_state is TradingState.HALTED and len(risk.store.events("paper")) == 1
    before, after = risk.reset("paper", "feed checked, loss is real", "alice", now_ms + 2 * HOUR_MS)
    assert before.trading_state is TradingState.HALTED and after.trading_state is TradingState.ACTIVE
    assert after.high_water_quote == 98_900.0  # the breaker now measures from here
    reset = risk.store.events("paper")[0]
    assert (reset.code, reset.actor, reset.to_state) == (ReasonCode.RESET, "alice", TradingState.ACTIVE)
    assert "reset by alice: feed checked, loss is real" in reset.message
    later = make_snapshot(98_900.0, {"BTC/USDT": (0.0, 50_000.0)}, now_ms=now_ms + 3 * HOUR_MS)
    buy = risk.check(make_intent("BTC/USDT", "buy", 0.01, 50_000.0, now_ms=now_ms + 3 * HOUR_MS), later)
    assert buy.verdict is Verdict.APPROVED
    with pytest.raises(RiskError, match="is ACTIVE, not HALTED"):
        risk.reset("paper", "again", "alice", now_ms + 4 * HOUR_MS)


def test_a_reset_while_the_days_loss_limit_holds_lands_in_reducing(
    store_url: str, make_snapshot: Snapshot, now_ms: int
) -> None:
    risk = manager(store_url, RiskLimits(daily_loss_limit_quote=500.0, breaker_loss_quote=800.0))
    risk.observe(make_snapshot(100_000.0, {}, now_ms=now_ms))
    assert risk.observe(make_snapshot(99_100.0, {}, now_ms=now_ms + 60_000)).trading_state is TradingState.HALTED
    _, after = risk.reset("paper", "ok", "bob", now_ms + 120_000)
    assert after.trading_state is TradingState.REDUCING and after.reason_code is ReasonCode.DAILY_LOSS_LIMIT
    assert after.reason.startswith("reset by bob: ok;") and "-900.00 <= -500.00" in after.reason
    assert risk.store.events("paper")[0].code is ReasonCode.RESET


def test_the_breaker_survives_a_process_restart(
    store_url: str, make_intent: Intent, make_snapshot: Snapshot, now_ms: int, tmp_path: Path
) -> None:
    script = f"""
from huracan.risk import AccountSnapshot, PositionMark, RiskLimits, RiskManager, RiskStore
risk = RiskManager(RiskLimits(), RiskStore.open({store_url!r}))
risk.observe(AccountSnapshot("paper", {now_ms}, 100_000.0, {{"BTC/USDT": PositionMark(0.0, 50_000.0, {now_ms})}}))
state = risk.observe(AccountSnapshot("paper", {now_ms + HOUR_MS}, 98_900.0, {{}}))
print(state.trading_state.value)
"""
    dispose_engines()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "halted"
    risk = manager(store_url)  # this process opens the store afresh
    state = risk.state("paper")
    assert state.trading_state is TradingState.HALTED and state.high_water_quote == 100_000.0
    tomorrow = now_ms + 30 * HOUR_MS  # a new UTC day does not lift it either
    snap = make_snapshot(98_900.0, {"BTC/USDT": (0.0, 50_000.0)}, now_ms=tomorrow)
    buy = risk.check(make_intent("BTC/USDT", "buy", 0.01, 50_000.0, now_ms=tomorrow), snap)
    assert buy.verdict is Verdict.DENIED and [r.code for r in buy.reasons] == [ReasonCode.BREAKER]


def test_a_check_waits_for_another_transaction_on_the_account(
    store_url: str, make_snapshot: Snapshot, now_ms: int
) -> None:
    # A holds the account and raises the high-water mark to 200,000; B observes 100,000 meanwhile. B must
    # read A's committed state (high-water mark stays 200,000), not overwrite it with what it read before.
    risk = manager(store_url)
    risk.observe(make_snapshot(100_000.0, {}, now_ms=now_ms))
    b_starts, errors = threading.Event(), []

    def observe_b() -> None:
        b_starts.set()
        try:
            risk.observe(make_snapshot(100_000.0, {}, now_ms=now_ms + 60_000))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    b = threading.Thread(target=observe_b)
    with risk.store.locked("paper") as account:
        b.start()
        b_starts.wait()
        time.sleep(0.3)  # let B reach the database while A holds the row (scheduling only, nothing is timed)
        account.save_state(replace(account.state, high_water_quote=200_000.0))
    b.join()
    assert errors == []
    state = risk.state("paper")
    assert state.high_water_quote == 200_000.0 and state.updated_ms == now_ms + 60_000


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    orders=st.lists(
        st.tuples(
            st.sampled_from(["buy", "sell"]), st.floats(0.001, 0.3), st.floats(-0.08, 0.08), st.floats(-0.03, 0.03)
        ),
        min_size=1,
        max_size=12,
    )
)
def test_the_persisted_manager_decides_as_the_pure_function(
    store_url: str,
    make_intent: Intent,
    make_snapshot: Snapshot,
    now_ms: int,
    orders: list[tuple[str, float, float, float]],
) -> None:
    account = f"acct-{uuid.uuid4().hex[:12]}"  # a fresh account per example, in the same store
    risk, state = manager(store_url), RiskState(account)
    qty, cash, price = 0.0, 20_000.0, 50_000.0
    decided = []
    for i, (side, wanted, offset, move) in enumerate(orders):
        at = now_ms + i * HOUR_MS
        price *= 1 + move
        snap = make_snapshot(cash, {"BTC/USDT": (qty, price)}, now_ms=at, account=account)
        intent = make_intent("BTC/USDT", side, wanted, price * (1 + offset), now_ms=at, account=account)
        expected, state = evaluate(intent, snap, state, risk.limits)
        assert risk.check(intent, snap) == expected
        decided.append(expected)
        sign = 1 if side == "buy" else -1
        qty, cash = qty + sign * expected.approved_qty_base, cash - sign * expected.approved_notional_quote
    assert risk.state(account) == state
    assert risk.store.decisions(account)[::-1] == decided


def test_nothing_is_written_when_the_check_fails(store_url: str, make_intent: Intent, make_snapshot: Snapshot) -> None:
    risk = manager(store_url)
    with pytest.raises(RiskError, match="must be the same"):
        risk.check(make_intent("BTC/USDT", "buy", 0.01, 50_000.0, account="other"), make_snapshot(1_000.0, {}))
    assert count(store_url, risk_decisions) == 0 and count(store_url, risk_events) == 0
    assert risk.store.accounts() == []


def test_the_risk_migration_matches_the_schema_and_downgrades(store_url: str) -> None:
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import inspect

    from huracan.data import db
    from huracan.data.db import VERSION_TABLE, create_store_engine, upgrade
    from huracan.data.schema import metadata

    engine = create_store_engine(store_url)
    upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert [d for d in diff if VERSION_TABLE not in str(d)] == []
    config = Config()
    config.set_main_option("script_location", str(Path(db.__file__).with_name("migrations")))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004-1")  # only this migration
    assert not {"risk_state", "risk_decisions", "risk_events"} & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert {"risk_state", "risk_decisions", "risk_events"} <= set(inspect(engine).get_table_names())
    engine.dispose()

"""A paused account (``huracan risk pause``, the dashboard) never gets an order that increases its exposure,
whatever the intents, price moves, days and limits: property-based, on the pure checks and on the
persisted manager."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huracan.errors import RiskError
from huracan.risk import (
    OrderIntent,
    ReasonCode,
    RiskLimits,
    RiskManager,
    RiskState,
    RiskStore,
    Side,
    TradingState,
    evaluate,
)
from huracan.risk.state import is_paused, observe_state, pause_state, reset_state, resume_state
from huracan.timeframes import DAY_MS
from tests.risk.test_properties import START_MS, START_PRICES, SimulatedAccount, limits_strategy, steps_strategy


def _trade(account: SimulatedAccount, step: tuple, now_ms: int, name: str = "prop") -> tuple[OrderIntent, int]:
    """The intent of an order step for account ``name``, and the time after the step."""
    _, symbol, side, notional, offset, age_ms, dt_ms, reduce_only = step
    now_ms += dt_ms
    price = account.mark[symbol] * (1.0 + offset)
    intent = OrderIntent(name, symbol, side, notional / price, price, now_ms, now_ms - age_ms, "model:p/1", reduce_only)
    return intent, now_ms


@settings(max_examples=400, deadline=None)
@given(
    steps=steps_strategy,
    limits=limits_strategy,
    cash_quote=st.floats(2_000, 200_000),
    paused_at=st.integers(0, 80),
)
def test_a_paused_account_never_gets_an_order_that_adds_exposure(
    steps: list[tuple], limits: RiskLimits, cash_quote: float, paused_at: int
) -> None:
    account, state = SimulatedAccount(cash_quote), RiskState("prop")
    now_ms = START_MS
    for index, step in enumerate(steps):
        if index == paused_at:
            if state.trading_state is TradingState.HALTED:
                with pytest.raises(RiskError, match="already HALTED"):
                    pause_state(state, "maintenance", "alice", now_ms)
            else:
                state = pause_state(state, "maintenance", "alice", now_ms)
        paused = is_paused(state)
        if step[0] == "price":
            _, symbol, move, dt_ms = step
            now_ms += dt_ms
            account.mark[symbol] *= 1.0 + move
            account.mark_ms = dict.fromkeys(START_PRICES, now_ms)
            state = observe_state(state, account.snapshot(now_ms).equity_quote, now_ms, limits)
        else:
            intent, now_ms = _trade(account, step, now_ms)
            gross_before = sum(account.qty[s] * account.mark[s] for s in START_PRICES)
            held = account.qty[intent.symbol]
            decision, state = evaluate(intent, account.snapshot(now_ms), state, limits)
            if paused and decision.passed:
                assert intent.side is Side.SELL, f"a buy passed while paused: {decision.describe()}"
                assert decision.approved_qty_base <= held
                account.fill(decision)
                assert sum(account.qty[s] * account.mark[s] for s in START_PRICES) <= gross_before
            elif decision.passed:
                account.fill(decision)
        if paused:
            assert is_paused(state), f"a pause was lifted without resume: {state}"


@pytest.fixture
def manager(tmp_path: Path) -> RiskManager:
    return RiskManager(RiskLimits(), RiskStore.open(f"sqlite:///{tmp_path / 'store.db'}"))


# the store is shared by the examples: each pauses an account of its own
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps_strategy)
def test_the_persisted_manager_denies_every_buy_of_a_paused_account(manager: RiskManager, steps: list[tuple]) -> None:
    account = uuid.uuid4().hex
    manager.pause(account, "maintenance", "alice", START_MS)
    sim, now_ms = SimulatedAccount(100_000.0), START_MS
    for step in (s for s in steps if s[0] == "order"):
        intent, now_ms = _trade(sim, step, now_ms + 1, account)  # one decision per ms: the intent key is unique
        decision = manager.check(intent, replace(sim.snapshot(now_ms), account=account))
        if intent.side is Side.BUY:
            assert not decision.passed and "paused" in [reason.code.value for reason in decision.reasons]
    assert is_paused(manager.state(account))
    before, after = manager.resume(account, "done", "bob", now_ms + 1)
    assert is_paused(before) and after.trading_state is TradingState.ACTIVE
    assert [(e.actor, e.code.value) for e in manager.store.events(account)] == [("bob", "resumed"), ("alice", "paused")]


def test_resume_and_pause_refuse_what_they_do_not_lift() -> None:
    halted = RiskState("a", TradingState.HALTED, reason_code=ReasonCode.BREAKER, reason="tripped")
    with pytest.raises(RiskError, match=r"already HALTED .*`huracan risk reset`"):
        pause_state(halted, "x", "alice", START_MS)
    with pytest.raises(RiskError, match="not paused"):
        resume_state(halted, "x", "alice", START_MS)
    with pytest.raises(RiskError, match="--reason"):
        pause_state(RiskState("a"), "  ", "alice", START_MS)


@settings(max_examples=300, deadline=None)
@given(
    limits=limits_strategy,
    equities=st.lists(st.floats(1_000, 200_000), min_size=1, max_size=8),
    dt_ms=st.integers(1, 3 * DAY_MS),
    paused_at=st.integers(0, 7),
)
def test_a_reset_never_lifts_a_pause(limits: RiskLimits, equities: list[float], dt_ms: int, paused_at: int) -> None:
    state, now_ms = RiskState("prop"), START_MS
    for index, equity in enumerate(equities):
        if index == min(paused_at, len(equities) - 1) and state.trading_state is not TradingState.HALTED:
            state = pause_state(state, "maintenance", "alice", now_ms)
        now_ms += dt_ms
        state = observe_state(state, equity, now_ms, limits)
    if not is_paused(state):
        return  # the breaker halted the account before the pause
    with pytest.raises(RiskError, match=r"stays paused.*`huracan risk resume` lifts a pause"):
        reset_state(state, "breaker checked", "bob", now_ms + 1, limits)


def test_the_persisted_reset_of_a_paused_account_records_nothing_and_it_stays_paused(manager: RiskManager) -> None:
    manager.pause("paper", "maintenance", "alice", START_MS)
    with pytest.raises(RiskError, match="stays paused"):
        manager.reset("paper", "wrong lever", "bob", START_MS + 1)
    assert is_paused(manager.state("paper"))
    assert [(e.actor, e.code.value) for e in manager.store.events("paper")] == [("alice", "paused")]


def test_a_buy_denied_by_a_pause_says_resume_lifts_it_and_one_denied_by_the_breaker_says_reset() -> None:
    sim = SimulatedAccount(100_000.0)
    intent, now_ms = _trade(sim, ("order", "BTC/USDT", Side.BUY, 1_000.0, 0.0, 0, 60_000, False), START_MS)
    paused = pause_state(RiskState("prop"), "maintenance", "alice", START_MS)
    [reason] = evaluate(intent, sim.snapshot(now_ms), paused, RiskLimits())[0].reasons
    assert reason.code is ReasonCode.PAUSED and "risk reset" not in reason.message
    assert "pass until the pause is lifted (`huracan risk resume` or the dashboard's resume)" in reason.message
    halted = RiskState("prop", TradingState.HALTED, ReasonCode.BREAKER, "tripped", START_MS, high_water_quote=1e6)
    [reason] = evaluate(intent, sim.snapshot(now_ms), halted, RiskLimits())[0].reasons
    assert reason.code is ReasonCode.BREAKER and reason.message.endswith("pass until `huracan risk reset`")

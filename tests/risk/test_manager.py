"""Each check of :func:`huracan.risk.evaluate` on hand-computed numbers (default limits unless told otherwise)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from huracan.errors import RiskError
from huracan.risk import (
    AccountSnapshot,
    OrderIntent,
    ReasonCode,
    RiskDecision,
    RiskLimits,
    RiskState,
    TradingState,
    Verdict,
    evaluate,
)
from huracan.risk.state import DAY_MS, utc_day_start_ms

LIMITS = RiskLimits()
Intent = Callable[..., OrderIntent]
Snapshot = Callable[..., AccountSnapshot]


def codes(decision: RiskDecision) -> list[str]:
    return [reason.code.value for reason in decision.reasons]


@pytest.fixture
def book(make_snapshot: Snapshot) -> AccountSnapshot:
    # 95,000 cash + 0.06 BTC at 50,000 (3,000) + 2 ETH at 3,000 (6,000): equity 104,000, heat 9,000 / 104,000
    return make_snapshot(95_000.0, {"BTC/USDT": (0.06, 50_000.0), "ETH/USDT": (2.0, 3_000.0)})


def test_snapshot_equity_and_heat(book: AccountSnapshot) -> None:
    assert book.equity_quote == 104_000.0
    assert book.gross_notional_quote == 9_000.0
    assert book.heat_frac == pytest.approx(9_000 / 104_000)
    assert book.notional_quote("ETH/USDT") == 6_000.0 and book.qty_base("SOL/USDT") == 0.0


def test_a_buy_within_every_limit_is_approved_as_asked(make_intent: Intent, book: AccountSnapshot) -> None:
    decision, state = evaluate(make_intent("BTC/USDT", "buy", 0.02, 50_000.0), book, RiskState("paper"), LIMITS)
    assert decision.verdict is Verdict.APPROVED and decision.approved_qty_base == 0.02 and decision.reasons == ()
    assert state.trading_state is TradingState.ACTIVE and state.high_water_quote == 104_000.0


def test_position_limit_resizes_a_buy_to_what_fits(make_intent: Intent, book: AccountSnapshot) -> None:
    # held 0.06 BTC = 3,000; +0.05 at 50,000 would make 5,500 > 5,000: 2,000 of room = 0.04 BTC
    decision, _ = evaluate(make_intent("BTC/USDT", "buy", 0.05, 50_000.0), book, RiskState("paper"), LIMITS)
    assert decision.verdict is Verdict.RESIZED
    assert decision.approved_qty_base == pytest.approx(0.04, rel=1e-12)
    assert codes(decision) == ["position_limit"]
    message = decision.reasons[0].message
    assert "5,500.00" in message and "held 3,000.00" in message and "limit 5,000.00" in message
    assert "0.04 (2,000.00) fits" in message


def test_heat_limit_resizes_a_buy_to_what_fits(make_intent: Intent, make_snapshot: Snapshot) -> None:
    # 60,000 cash + 2,000 BTC + 3,000 ETH + 4,000 SOL: equity 69,000, open 9,000, room 0.15 x 69,000 - 9,000
    # = 1,350. +0.5 ETH at 3,000 (1,500) would make heat 10,500 / 69,000 = 15.22 %: 1,350 / 3,000 = 0.45 ETH fits.
    snap = make_snapshot(
        60_000.0, {"BTC/USDT": (0.04, 50_000.0), "ETH/USDT": (1.0, 3_000.0), "SOL/USDT": (40.0, 100.0)}
    )
    decision, _ = evaluate(make_intent("ETH/USDT", "buy", 0.5, 3_000.0), snap, RiskState("paper"), LIMITS)
    assert decision.verdict is Verdict.RESIZED
    assert decision.approved_qty_base == pytest.approx(0.45, rel=1e-12)
    assert codes(decision) == ["heat_limit"]
    assert "15.22%" in decision.reasons[0].message and "10,500.00 / equity 69,000.00" in decision.reasons[0].message


def test_heat_is_measured_with_the_order_symbol_at_the_order_price(
    make_intent: Intent, make_snapshot: Snapshot
) -> None:
    # 1 ETH marked at 3,000 but bought at 3,100 (inside the 5 % band): it counts 3,100; equity 69,100,
    # open 9,100, room 0.15 x 69,100 - 9,100 = 1,265 -> 1,265 / 3,100 ETH
    snap = make_snapshot(
        60_000.0, {"BTC/USDT": (0.04, 50_000.0), "ETH/USDT": (1.0, 3_000.0), "SOL/USDT": (40.0, 100.0)}
    )
    decision, _ = evaluate(make_intent("ETH/USDT", "buy", 0.5, 3_100.0), snap, RiskState("paper"), LIMITS)
    assert decision.approved_qty_base == pytest.approx(1_265 / 3_100, rel=1e-12)


def test_max_order_notional_resizes_a_buy(make_intent: Intent, make_snapshot: Snapshot) -> None:
    limits = RiskLimits(max_order_notional_quote=1_000.0)
    snap = make_snapshot(100_000.0, {"BTC/USDT": (0.0, 50_000.0)})
    decision, _ = evaluate(make_intent("BTC/USDT", "buy", 0.03, 50_000.0), snap, RiskState("paper"), limits)
    assert decision.verdict is Verdict.RESIZED and decision.approved_qty_base == pytest.approx(0.02, rel=1e-12)
    assert codes(decision) == ["order_notional"]
    assert "order notional 1,500.00 is above the limit 1,000.00" in decision.reasons[0].message


def test_every_binding_limit_is_named(make_intent: Intent, make_snapshot: Snapshot) -> None:
    # flat, 20,000 equity: position room 5,000, heat room 3,000, order room 5,000 -> 3,000 / 50,000 = 0.06 BTC
    snap = make_snapshot(20_000.0, {"BTC/USDT": (0.0, 50_000.0)})
    decision, _ = evaluate(make_intent("BTC/USDT", "buy", 0.2, 50_000.0), snap, RiskState("paper"), LIMITS)
    assert decision.approved_qty_base == pytest.approx(0.06, rel=1e-12)
    assert codes(decision) == ["position_limit", "heat_limit", "order_notional"]


def test_a_full_position_denies_a_buy(make_intent: Intent, make_snapshot: Snapshot) -> None:
    snap = make_snapshot(95_000.0, {"BTC/USDT": (0.1, 50_000.0)})  # exactly 5,000
    decision, _ = evaluate(make_intent("BTC/USDT", "buy", 0.01, 50_000.0), snap, RiskState("paper"), LIMITS)
    assert decision.verdict is Verdict.DENIED and decision.approved_qty_base == 0.0
    assert codes(decision) == ["position_limit"] and "0 (0.00) fits" in decision.reasons[0].message


def test_what_fits_below_the_minimum_notional_is_denied(make_intent: Intent, make_snapshot: Snapshot) -> None:
    # 0.0999 BTC held = 4,995: room 5.00 < minimum 10.00
    snap = make_snapshot(95_000.0, {"BTC/USDT": (0.0999, 50_000.0)})
    decision, _ = evaluate(make_intent("BTC/USDT", "buy", 0.01, 50_000.0), snap, RiskState("paper"), LIMITS)
    assert decision.verdict is Verdict.DENIED
    assert codes(decision) == ["position_limit", "min_notional"]
    assert "(5.00), is below the minimum order notional 10.00" in decision.reasons[1].message


def test_a_sell_of_more_than_held_is_resized_to_the_holding(make_intent: Intent, book: AccountSnapshot) -> None:
    decision, _ = evaluate(make_intent("BTC/USDT", "sell", 0.1, 50_000.0), book, RiskState("paper"), LIMITS)
    assert decision.verdict is Verdict.RESIZED and decision.approved_qty_base == 0.06
    assert codes(decision) == ["sell_exceeds_position"]
    assert "sell of 0.1 exceeds the 0.06 held" in decision.reasons[0].message


def test_a_sell_of_nothing_held_is_denied(make_intent: Intent, make_snapshot: Snapshot) -> None:
    snap = make_snapshot(100_000.0, {"BTC/USDT": (0.0, 50_000.0)})
    decision, _ = evaluate(make_intent("BTC/USDT", "sell", 0.1, 50_000.0), snap, RiskState("paper"), LIMITS)
    assert decision.verdict is Verdict.DENIED and codes(decision) == ["sell_exceeds_position"]


@pytest.mark.parametrize(("side", "price"), [("buy", 52_600.0), ("sell", 47_400.0)])
def test_a_price_outside_the_band_is_denied(
    make_intent: Intent, book: AccountSnapshot, side: str, price: float
) -> None:
    decision, _ = evaluate(make_intent("BTC/USDT", side, 0.01, price), book, RiskState("paper"), LIMITS)
    assert decision.verdict is Verdict.DENIED and codes(decision) == ["price_band"]
    assert "is 5.20% from the last close 50,000.00 (band 5.00%)" in decision.reasons[0].message


def test_a_price_at_the_band_edge_passes(make_intent: Intent, book: AccountSnapshot) -> None:
    decision, _ = evaluate(make_intent("BTC/USDT", "buy", 0.01, 52_500.0), book, RiskState("paper"), LIMITS)
    assert decision.verdict is Verdict.APPROVED


def test_stale_decision_data_is_denied_for_either_side(make_intent: Intent, book: AccountSnapshot) -> None:
    for side in ("buy", "sell"):
        intent = make_intent("BTC/USDT", side, 0.01, 50_000.0, age_ms=3 * 3_600_000)
        decision, _ = evaluate(intent, book, RiskState("paper"), LIMITS)
        assert decision.verdict is Verdict.DENIED and codes(decision) == ["stale_data"]
        assert "180.0 min before the check (stale after 120.0 min)" in decision.reasons[0].message


def test_a_stale_mark_is_denied(make_intent: Intent, make_snapshot: Snapshot) -> None:
    snap = make_snapshot(100_000.0, {"BTC/USDT": (0.0, 50_000.0)}, age_ms=7_200_001)
    decision, _ = evaluate(make_intent("BTC/USDT", "buy", 0.01, 50_000.0), snap, RiskState("paper"), LIMITS)
    assert codes(decision) == ["stale_data"] and "the mark closed" in decision.reasons[0].message


def test_data_from_after_the_check_is_denied(make_intent: Intent, book: AccountSnapshot, now_ms: int) -> None:
    intent = make_intent("BTC/USDT", "buy", 0.01, 50_000.0, now_ms=now_ms + 60_000, age_ms=0)
    decision, _ = evaluate(intent, book, RiskState("paper"), LIMITS)
    assert codes(decision) == ["future_data"] and "after the check at 2026-12-02 10:00" in decision.reasons[0].message


def test_a_symbol_without_a_mark_is_denied(make_intent: Intent, book: AccountSnapshot) -> None:
    decision, _ = evaluate(make_intent("SOL/USDT", "buy", 1.0, 100.0), book, RiskState("paper"), LIMITS)
    assert decision.verdict is Verdict.DENIED and codes(decision) == ["no_mark"]


def test_every_failing_check_is_reported(make_intent: Intent, book: AccountSnapshot) -> None:
    intent = make_intent("BTC/USDT", "buy", 0.01, 60_000.0, age_ms=3 * 3_600_000, reduce_only=True)
    decision, _ = evaluate(intent, book, RiskState("paper"), LIMITS)
    assert codes(decision) == ["stale_data", "price_band", "reduce_only"]


def _state_today(now_ms: int, day_start_equity_quote: float, high_water_quote: float) -> RiskState:
    """An ACTIVE state observed an hour ago, today."""
    return replace(
        RiskState("paper"),
        since_ms=now_ms - 3_600_000,
        day_start_ms=utc_day_start_ms(now_ms),
        day_start_equity_quote=day_start_equity_quote,
        high_water_quote=high_water_quote,
    )


def test_daily_loss_limit_lets_only_reducing_orders_pass(
    make_intent: Intent, book: AccountSnapshot, now_ms: int
) -> None:
    # day started at 104,600; equity 104,000: daily P&L -600 <= -500
    state = _state_today(now_ms, day_start_equity_quote=104_600.0, high_water_quote=104_600.0)
    buy, after = evaluate(make_intent("BTC/USDT", "buy", 0.01, 50_000.0), book, state, LIMITS)
    assert after.trading_state is TradingState.REDUCING and after.reason_code is ReasonCode.DAILY_LOSS_LIMIT
    assert "= -600.00 <= -500.00" in after.reason
    assert buy.verdict is Verdict.DENIED and codes(buy) == ["daily_loss_limit"]
    assert "only orders that reduce a position pass until 2026-12-03 00:00 UTC" in buy.reasons[0].message
    sell, _ = evaluate(make_intent("BTC/USDT", "sell", 0.06, 50_000.0), book, after, LIMITS)
    assert sell.verdict is Verdict.APPROVED and sell.state_after is TradingState.REDUCING


def test_reducing_lasts_the_day_even_if_equity_recovers(
    make_intent: Intent, make_snapshot: Snapshot, book: AccountSnapshot, now_ms: int
) -> None:
    state = _state_today(now_ms, day_start_equity_quote=104_600.0, high_water_quote=104_600.0)
    _, after = evaluate(make_intent("BTC/USDT", "buy", 0.01, 50_000.0), book, state, LIMITS)
    # an hour later equity is 105,000 (+400 on the day): still REDUCING; the next day's first snapshot lifts it
    later = make_snapshot(105_000.0, {"BTC/USDT": (0.0, 50_000.0)}, now_ms=now_ms + 3_600_000)
    buy, after = evaluate(
        make_intent("BTC/USDT", "buy", 0.01, 50_000.0, now_ms=now_ms + 3_600_000), later, after, LIMITS
    )
    assert buy.verdict is Verdict.DENIED and after.trading_state is TradingState.REDUCING
    tomorrow = now_ms + DAY_MS
    snap = make_snapshot(104_500.0, {"BTC/USDT": (0.0, 50_000.0)}, now_ms=tomorrow)
    buy, after = evaluate(make_intent("BTC/USDT", "buy", 0.01, 50_000.0, now_ms=tomorrow), snap, after, LIMITS)
    assert after.trading_state is TradingState.ACTIVE and after.reason_code is ReasonCode.NEW_DAY
    assert after.day_start_equity_quote == 104_500.0 and buy.verdict is Verdict.APPROVED


def test_daily_profit_target_lets_only_reducing_orders_pass(
    make_intent: Intent, book: AccountSnapshot, now_ms: int
) -> None:
    state = _state_today(now_ms, day_start_equity_quote=103_000.0, high_water_quote=103_000.0)  # +1,000
    buy, after = evaluate(make_intent("BTC/USDT", "buy", 0.01, 50_000.0), book, state, LIMITS)
    assert after.reason_code is ReasonCode.DAILY_PROFIT_TARGET and "= 1,000.00 >= 1,000.00" in after.reason
    assert buy.verdict is Verdict.DENIED and codes(buy) == ["daily_profit_target"]
    off, after = evaluate(
        make_intent("BTC/USDT", "buy", 0.01, 50_000.0), book, state, RiskLimits(daily_profit_target_quote=0.0)
    )
    assert off.verdict is Verdict.APPROVED and after.trading_state is TradingState.ACTIVE


@pytest.mark.parametrize("flatten_on_breaker", [False, True])
def test_breaker_halts_new_exposure(
    make_intent: Intent, book: AccountSnapshot, now_ms: int, flatten_on_breaker: bool
) -> None:
    # high-water mark 105,000; equity 104,000 = 105,000 - 1,000: at the level trips
    limits = RiskLimits(flatten_on_breaker=flatten_on_breaker)
    state = _state_today(now_ms, day_start_equity_quote=104_200.0, high_water_quote=105_000.0)
    buy, after = evaluate(make_intent("BTC/USDT", "buy", 0.01, 50_000.0), book, state, limits)
    assert after.trading_state is TradingState.HALTED and after.reason_code is ReasonCode.BREAKER
    assert "equity 104,000.00 <= high-water mark 105,000.00 - 1,000.00 = 104,000.00" in after.reason
    assert buy.verdict is Verdict.DENIED and codes(buy) == ["breaker"]
    assert "until `huracan risk reset`" in buy.reasons[0].message
    assert buy.flatten is flatten_on_breaker
    sell, _ = evaluate(make_intent("ETH/USDT", "sell", 2.0, 3_000.0), book, after, limits)
    assert sell.verdict is Verdict.APPROVED and sell.flatten is flatten_on_breaker


def test_a_new_day_does_not_lift_the_breaker(make_intent: Intent, make_snapshot: Snapshot, now_ms: int) -> None:
    state = _state_today(now_ms, day_start_equity_quote=104_200.0, high_water_quote=105_000.0)
    state = replace(state, trading_state=TradingState.HALTED, reason_code=ReasonCode.BREAKER)
    tomorrow = now_ms + DAY_MS
    snap = make_snapshot(104_000.0, {"BTC/USDT": (0.0, 50_000.0)}, now_ms=tomorrow)
    buy, after = evaluate(make_intent("BTC/USDT", "buy", 0.01, 50_000.0, now_ms=tomorrow), snap, state, LIMITS)
    assert after.trading_state is TradingState.HALTED and buy.verdict is Verdict.DENIED
    assert after.day_start_equity_quote == 104_000.0


def test_intent_snapshot_and_state_must_be_one_account(make_intent: Intent, book: AccountSnapshot) -> None:
    with pytest.raises(RiskError, match="must be the same"):
        evaluate(make_intent("BTC/USDT", "buy", 0.01, 50_000.0, account="other"), book, RiskState("paper"), LIMITS)

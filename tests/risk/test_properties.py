"""Property-based tests of the money path: any sequence of intents and price moves, approved orders applied
to a simulated spot account, never breaks a limit.

The simulated account fills every approved quantity at the intent's price (no fees: the limits are
defined at the reference price, fees excluded). Marks move with the price steps, which observe the
account as the live tick does every candle. An independent tally of the day-start equity, the
high-water mark and which limits were reached today says when no buy may pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from huracan.clock import parse_instant_ms
from huracan.risk import (
    AccountSnapshot,
    OrderIntent,
    PositionMark,
    RiskDecision,
    RiskLimits,
    RiskState,
    Side,
    TradingState,
    evaluate,
    observe_state,
)
from huracan.risk.state import utc_day_start_ms

START_MS = parse_instant_ms("2026-03-01T00:00:00Z")
START_PRICES = {"BTC/USDT": 50_000.0, "ETH/USDT": 3_000.0, "SOL/USDT": 100.0}
REL = 1e-9  # float rounding of quantities computed as room / price


@dataclass
class SimulatedAccount:
    """Cash, quantities and marks of a spot account; approved orders fill at the intent's price."""

    cash_quote: float
    qty: dict[str, float] = field(default_factory=lambda: dict.fromkeys(START_PRICES, 0.0))
    mark: dict[str, float] = field(default_factory=lambda: dict(START_PRICES))
    mark_ms: dict[str, int] = field(default_factory=lambda: dict.fromkeys(START_PRICES, START_MS))

    def snapshot(self, now_ms: int) -> AccountSnapshot:
        positions = {s: PositionMark(self.qty[s], self.mark[s], self.mark_ms[s]) for s in START_PRICES}
        return AccountSnapshot("prop", now_ms, self.cash_quote, positions)

    def fill(self, decision: RiskDecision) -> None:
        intent, qty = decision.intent, decision.approved_qty_base
        sign = 1.0 if intent.side is Side.BUY else -1.0
        self.cash_quote -= sign * qty * intent.price_quote
        self.qty[intent.symbol] = max(self.qty[intent.symbol] + sign * qty, 0.0)

    def heat_at(self, symbol: str, price: float) -> tuple[float, float]:
        """(open notional, equity) with ``symbol`` valued at ``price`` and the others at their marks."""
        gross = sum(self.qty[s] * (price if s == symbol else self.mark[s]) for s in START_PRICES)
        return gross, self.cash_quote + gross


@dataclass
class Tally:
    """What the limits say, counted independently of huracan.risk.state."""

    day_ms: int = -1
    day_start_equity: float = 0.0
    high_water: float = float("-inf")
    reduced_today: bool = False
    halted: bool = False

    def observe(self, equity: float, now_ms: int, limits: RiskLimits) -> None:
        day = utc_day_start_ms(now_ms)
        if day != self.day_ms:
            self.day_ms, self.day_start_equity, self.reduced_today = day, equity, False
        self.high_water = max(self.high_water, equity)
        if equity <= self.high_water - limits.breaker_loss_quote:
            self.halted = True
        pnl = equity - self.day_start_equity
        if pnl <= -limits.daily_loss_limit_quote or (
            limits.profit_target_on and pnl >= limits.daily_profit_target_quote
        ):
            self.reduced_today = True

    @property
    def blocks_buys(self) -> bool:
        return self.halted or self.reduced_today


limits_strategy = st.builds(
    RiskLimits,
    max_position_quote=st.floats(500, 20_000),
    daily_loss_limit_quote=st.floats(50, 2_000),
    max_heat_frac=st.floats(0.02, 1.0),
    breaker_loss_quote=st.floats(100, 5_000),
    daily_profit_target_quote=st.one_of(st.just(0.0), st.floats(50, 3_000)),
    max_order_notional_quote=st.floats(100, 20_000),
    min_order_notional_quote=st.floats(0, 50),
    price_band_frac=st.floats(0.01, 0.2),
    stale_after_ms=st.integers(600_000, 14_400_000),
)
symbols = st.sampled_from(sorted(START_PRICES))
price_step = st.tuples(st.just("price"), symbols, st.floats(-0.15, 0.15), st.integers(60_000, 8 * 3_600_000))
order_step = st.tuples(
    st.just("order"),
    symbols,
    st.sampled_from([Side.BUY, Side.SELL]),
    st.floats(1.0, 30_000.0),  # wanted notional, quote
    st.one_of(st.floats(-0.005, 0.005), st.floats(-0.25, 0.25)),  # price offset from the mark, fraction
    st.one_of(st.integers(0, 600_000), st.integers(0, 5 * 3_600_000)),  # age of the decision's data, ms
    st.integers(0, 3_600_000),  # time since the previous step, ms
    st.sampled_from((False, False, False, True)),  # reduce-only (matters for buys only)
)
steps_strategy = st.lists(st.one_of(price_step, order_step, order_step), min_size=1, max_size=80)
# big moves and clean orders (fresh data, at the mark): the daily limits and the breaker are reached often
volatile_steps = st.lists(
    st.one_of(
        st.tuples(st.just("price"), symbols, st.floats(-0.3, 0.3), st.integers(60_000, 12 * 3_600_000)),
        st.tuples(
            st.just("order"),
            symbols,
            st.sampled_from([Side.BUY, Side.BUY, Side.SELL]),
            st.floats(100.0, 30_000.0),
            st.just(0.0),
            st.just(0),
            st.integers(0, 600_000),
            st.just(False),
        ),
    ),
    min_size=1,
    max_size=80,
)


def run(steps: list[tuple], limits: RiskLimits, cash_quote: float) -> None:
    account, tally, state = SimulatedAccount(cash_quote), Tally(), RiskState("prop")
    now_ms = START_MS
    for step in steps:
        if step[0] == "price":
            _, symbol, move, dt_ms = step
            now_ms += dt_ms
            account.mark[symbol] *= 1.0 + move
            account.mark_ms = dict.fromkeys(START_PRICES, now_ms)  # a candle close marks every symbol
            snap = account.snapshot(now_ms)
            state = observe_state(state, snap.equity_quote, now_ms, limits)
            tally.observe(snap.equity_quote, now_ms, limits)
            continue
        _, symbol, side, notional, offset, age_ms, dt_ms, reduce_only = step
        now_ms += dt_ms
        price = account.mark[symbol] * (1.0 + offset)
        intent = OrderIntent(
            "prop", symbol, side, notional / price, price, now_ms, now_ms - age_ms, "model:prop/1", reduce_only
        )
        snap = account.snapshot(now_ms)
        held = account.qty[symbol]
        decision, state = evaluate(intent, snap, state, limits)
        tally.observe(snap.equity_quote, now_ms, limits)

        assert 0.0 <= decision.approved_qty_base <= intent.qty_base  # resizing never increases an order
        assert decision.passed == (decision.approved_qty_base > 0)
        if decision.passed:
            assert abs(price / account.mark[symbol] - 1.0) <= limits.price_band_frac * (1 + REL)
            assert age_ms <= limits.stale_after_ms and now_ms - account.mark_ms[symbol] <= limits.stale_after_ms
        if not decision.passed:
            continue
        if side is Side.SELL:
            assert decision.approved_qty_base <= held
        else:
            assert not tally.blocks_buys, f"a buy passed after a limit: {tally}, {state}"
            assert state.trading_state is TradingState.ACTIVE
            assert not reduce_only
            assert decision.approved_notional_quote <= limits.max_order_notional_quote * (1 + REL)
        account.fill(decision)
        if side is Side.BUY:
            assert account.qty[symbol] * price <= limits.max_position_quote * (1 + REL)
            gross, equity = account.heat_at(symbol, price)
            assert gross <= limits.max_heat_frac * equity * (1 + REL) + 1e-6
            assert account.cash_quote >= -1e-6  # spot: never buys with money it does not have


@settings(max_examples=400, deadline=None)
@given(steps=steps_strategy, limits=limits_strategy, cash_quote=st.floats(2_000, 200_000))
def test_no_approved_order_breaks_a_limit(steps: list[tuple], limits: RiskLimits, cash_quote: float) -> None:
    run(steps, limits, cash_quote)


@settings(max_examples=300, deadline=None)
@given(steps=volatile_steps, cash_quote=st.floats(10_000, 200_000))
def test_no_approved_order_breaks_the_default_limits_in_volatile_markets(steps: list[tuple], cash_quote: float) -> None:
    run(steps, RiskLimits(), cash_quote)


@settings(max_examples=300, deadline=None)
@given(
    held=st.floats(0, 1.0),
    qty=st.floats(1e-6, 10.0),
    price=st.floats(10, 100_000),
    cash_quote=st.floats(0, 1_000_000),
    limits=limits_strategy,
)
def test_a_decision_never_exceeds_the_request(
    held: float, qty: float, price: float, cash_quote: float, limits: RiskLimits
) -> None:
    snap = AccountSnapshot("prop", START_MS, cash_quote, {"BTC/USDT": PositionMark(held, price, START_MS)})
    for side in Side:
        intent = OrderIntent("prop", "BTC/USDT", side, qty, price, START_MS, START_MS, "manual:prop")
        decision, _ = evaluate(intent, snap, RiskState("prop"), limits)
        assert 0.0 <= decision.approved_qty_base <= qty
        if side is Side.SELL:
            assert decision.approved_qty_base <= held

"""The risk gate every order passes: :func:`evaluate` (pure) and :class:`RiskManager` (persisted).

:func:`evaluate` first observes the snapshot (new UTC day, high-water mark, breaker, daily limits; see
:mod:`huracan.risk.state`), then checks the intent. Every failing check adds a reason:

- denied, whatever the side: no mark for the symbol in the snapshot; data older than ``stale_after_ms``
  (the intent's newest candle or the symbol's mark) or closing after the snapshot; a price outside the
  band around the last close;
- denied buys: the account is REDUCING or HALTED, or the buy is marked reduce-only;
- sells (spot, long only): nothing held is denied, more than held is resized to the holding;
- buys are resized to the largest quantity that keeps the position within ``max_position_quote``, the
  heat within ``max_heat_frac`` and the order within ``max_order_notional_quote``, all at the intent's
  price; when that is nothing, or below ``min_order_notional_quote``, the buy is denied.

The approved quantity is never more than asked. Denials are decisions, recorded, never exceptions; only
an intent, snapshot and state of different accounts is a caller's error (:class:`RiskError`).
"""

from __future__ import annotations

import logging
from dataclasses import fields
from typing import TYPE_CHECKING

from huracan.clock import format_ms
from huracan.errors import RiskError
from huracan.risk.decision import RiskDecision, Verdict
from huracan.risk.intent import OrderIntent, Side
from huracan.risk.limits import RiskLimits
from huracan.risk.reasons import Reason, ReasonCode
from huracan.risk.snapshot import AccountSnapshot, PositionMark
from huracan.risk.state import RiskState, TradingState, is_paused, observe_state, reset_state, state_change
from huracan.risk.store import LockedAccount, RiskStore

if TYPE_CHECKING:
    from collections.abc import Callable

    from huracan.config import Settings

log = logging.getLogger(__name__)

#: The default paper account's id.
PAPER_ACCOUNT = "paper"


def evaluate(
    intent: OrderIntent, snapshot: AccountSnapshot, state: RiskState, limits: RiskLimits
) -> tuple[RiskDecision, RiskState]:
    """Check ``intent`` against ``limits`` on ``snapshot`` with the account's ``state``.

    :returns: the decision and the state after observing the snapshot (the decision itself changes no state).
    """
    if not intent.account == snapshot.account == state.account:
        raise RiskError(
            f"risk check: intent account {intent.account!r}, snapshot account {snapshot.account!r} and state "
            f"account {state.account!r} must be the same"
        )
    after = observe_state(state, snapshot.equity_quote, snapshot.now_ms, limits)
    mark = snapshot.positions.get(intent.symbol)
    reasons = _denials(intent, snapshot, mark, after, limits)
    qty = 0.0
    if not reasons and mark is not None:
        if intent.side is Side.SELL:
            qty, reasons = _sell_quantity(intent, mark)
        else:
            qty, reasons = _buy_quantity(intent, snapshot, mark, limits)
    if qty <= 0:
        verdict = Verdict.DENIED
        qty = 0.0
    else:
        verdict = Verdict.APPROVED if qty == intent.qty_base else Verdict.RESIZED
    decision = RiskDecision(
        intent=intent,
        verdict=verdict,
        approved_qty_base=qty,
        reasons=tuple(reasons),
        state_after=after.trading_state,
        flatten=after.trading_state is TradingState.HALTED and limits.flatten_on_breaker,
        checked_ms=snapshot.now_ms,
        equity_quote=snapshot.equity_quote,
    )
    return decision, after


def _denials(
    intent: OrderIntent, snapshot: AccountSnapshot, mark: PositionMark | None, state: RiskState, limits: RiskLimits
) -> list[Reason]:
    reasons = []
    now_ms = snapshot.now_ms
    if mark is None:
        reasons.append(Reason(ReasonCode.NO_MARK, f"the snapshot has no mark (last close) for {intent.symbol}"))
    for what, close_ms in (("newest candle the decision saw", intent.data_close_ms), ("mark", _close_ms(mark))):
        if close_ms is None:
            continue
        if close_ms > now_ms:
            reasons.append(
                Reason(
                    ReasonCode.FUTURE_DATA,
                    f"the {what} closes at {format_ms(close_ms)} UTC, after the check at {format_ms(now_ms)} UTC",
                )
            )
        elif now_ms - close_ms > limits.stale_after_ms:
            reasons.append(
                Reason(
                    ReasonCode.STALE_DATA,
                    f"the {what} closed at {format_ms(close_ms)} UTC, {(now_ms - close_ms) / 60_000:,.1f} min "
                    f"before the check (stale after {limits.stale_after_ms / 60_000:,.1f} min)",
                )
            )
    if mark is not None:
        deviation = abs(intent.price_quote - mark.mark_price_quote) / mark.mark_price_quote
        if deviation > limits.price_band_frac:
            reasons.append(
                Reason(
                    ReasonCode.PRICE_BAND,
                    f"price {intent.price_quote:,.2f} is {deviation:.2%} from the last close "
                    f"{mark.mark_price_quote:,.2f} (band {limits.price_band_frac:.2%})",
                )
            )
    if intent.adds_exposure:
        if state.trading_state is not TradingState.ACTIVE:
            lasts = _lifted_by(state)
            reasons.append(
                Reason(
                    state.reason_code,
                    f"account {state.account} is {state.trading_state.value.upper()} since "
                    f"{format_ms(state.since_ms)} UTC ({state.reason}); only orders that reduce a position "
                    f"pass {lasts}",
                )
            )
        if intent.reduce_only:
            reasons.append(Reason(ReasonCode.REDUCE_ONLY, "a reduce-only buy would add exposure (spot, long only)"))
    elif mark is not None and mark.qty_base <= 0:
        reasons.append(Reason(ReasonCode.SELL_EXCEEDS_POSITION, f"nothing of {intent.symbol} is held to sell"))
    return reasons


def _lifted_by(state: RiskState) -> str:
    """Until when a REDUCING or HALTED ``state`` holds: the next UTC day, a resume (a pause) or a reset (a breaker)."""
    until = state.reducing_until_ms()
    if until is not None:
        return f"until {format_ms(until)} UTC"
    if is_paused(state):
        return "until the pause is lifted (`huracan risk resume` or the dashboard's resume)"
    return "until `huracan risk reset`"


def _close_ms(mark: PositionMark | None) -> int | None:
    return None if mark is None else mark.last_close_ms


def _sell_quantity(intent: OrderIntent, mark: PositionMark) -> tuple[float, list[Reason]]:
    if intent.qty_base <= mark.qty_base:
        return intent.qty_base, []
    message = f"sell of {intent.qty_base:.8g} exceeds the {mark.qty_base:.8g} held; resized to the holding"
    return mark.qty_base, [Reason(ReasonCode.SELL_EXCEEDS_POSITION, message)]


_ROUNDING_FRAC = 1e-9
"""Relative tolerance of the caps of a buy (a fraction of its quantity)."""


def _buy_quantity(
    intent: OrderIntent, snapshot: AccountSnapshot, mark: PositionMark, limits: RiskLimits
) -> tuple[float, list[Reason]]:
    """The largest quantity up to the intent's that fits every limit at the intent's price, and why it is less."""
    price = intent.price_quote
    held_quote = mark.qty_base * price
    # the intent's symbol at the order's price, every other symbol at its mark
    gross_quote = snapshot.gross_notional_quote - mark.qty_base * mark.mark_price_quote + held_quote
    equity_quote = snapshot.equity_quote - mark.qty_base * mark.mark_price_quote + held_quote
    heat_room_quote = limits.max_heat_frac * equity_quote - gross_quote
    caps = (
        (
            ReasonCode.POSITION_LIMIT,
            (limits.max_position_quote - held_quote) / price,
            f"position {intent.symbol} would be {held_quote + intent.notional_quote:,.2f} at {price:,.2f} "
            f"(held {held_quote:,.2f}), above the limit {limits.max_position_quote:,.2f}",
        ),
        (
            ReasonCode.HEAT_LIMIT,
            heat_room_quote / price,
            f"heat would be {_heat(gross_quote + intent.notional_quote, equity_quote)} (open notional "
            f"{gross_quote + intent.notional_quote:,.2f} / equity {equity_quote:,.2f}), above the limit "
            f"{limits.max_heat_frac:.2%}",
        ),
        (
            ReasonCode.ORDER_NOTIONAL,
            limits.max_order_notional_quote / price,
            f"order notional {intent.notional_quote:,.2f} is above the limit {limits.max_order_notional_quote:,.2f}",
        ),
    )
    qty = intent.qty_base
    reasons = []
    for code, cap_base, message in caps:
        # within a billionth of the order the limit counts as met: an order sized to a limit exactly
        # (a target of 100 % against a heat limit of 100 %) must not be resized by a rounding error
        if cap_base < intent.qty_base * (1.0 - _ROUNDING_FRAC):
            fits = max(cap_base, 0.0)
            reasons.append(Reason(code, f"{message}; {fits:.8g} ({fits * price:,.2f}) fits"))
            qty = min(qty, fits)
    if reasons:
        if qty <= 0:
            return 0.0, reasons
        if qty * price < limits.min_order_notional_quote:
            message = (
                f"what fits, {qty:.8g} ({qty * price:,.2f}), is below the minimum order notional "
                f"{limits.min_order_notional_quote:,.2f}"
            )
            return 0.0, [*reasons, Reason(ReasonCode.MIN_NOTIONAL, message)]
    return qty, reasons


def _heat(notional_quote: float, equity_quote: float) -> str:
    return f"{notional_quote / equity_quote:.2%}" if equity_quote > 0 else "infinite (equity <= 0)"


def _differ(recorded: RiskDecision | None, intent: OrderIntent) -> str:
    if recorded is None:
        return "the recorded decision could not be read"
    return ", ".join(
        f"{f.name} {getattr(recorded.intent, f.name)!r} -> {getattr(intent, f.name)!r}"
        for f in fields(intent)
        if getattr(recorded.intent, f.name) != getattr(intent, f.name)
    )


class RiskManager:
    """The risk gate with its state in the store: each call is one transaction on the account's locked row.

    :param limits: the limits to enforce.
    :param store: where the state, the decisions and the state changes are kept.
    """

    def __init__(self, limits: RiskLimits, store: RiskStore) -> None:
        self.limits = limits
        self.store = store

    @classmethod
    def from_settings(cls, settings: Settings) -> RiskManager:
        """The configured limits on the configured store."""
        return cls(RiskLimits.from_settings(settings), RiskStore.open(settings.store_url))

    def check(self, intent: OrderIntent, snapshot: AccountSnapshot) -> RiskDecision:
        """Evaluate ``intent`` on ``snapshot`` with the persisted state; record the decision, the new state
        and any state change together. An intent whose :attr:`~OrderIntent.key` was decided before gets
        the recorded decision back and changes nothing; the same key with other fields is a
        :class:`RiskError` (a retry must repeat its intent exactly)."""
        with self.store.locked(intent.account) as account:
            decision, state = evaluate(intent, snapshot, account.state, self.limits)
            if not account.record_decision(decision):  # decided before: that decision, nothing changed
                recorded = account.decision(intent.key)
                if recorded is None or recorded.intent != intent:
                    raise RiskError(
                        f"intent {intent.key} was already decided with other fields: {_differ(recorded, intent)}"
                    )
                return recorded
            self._save(account, state, snapshot.now_ms)
        if decision.verdict is not Verdict.APPROVED:
            log.info("risk: %s", decision.describe())
        return decision

    def observe(self, snapshot: AccountSnapshot) -> RiskState:
        """Observe ``snapshot`` without an order (the live tick calls this every candle): a new day, the
        high-water mark, the breaker and the daily limits are updated and recorded. Returns the state."""
        with self.store.locked(snapshot.account) as account:
            state = observe_state(account.state, snapshot.equity_quote, snapshot.now_ms, self.limits)
            self._save(account, state, snapshot.now_ms)
        return state

    def reset(self, account: str, reason: str, actor: str, now_ms: int) -> tuple[RiskState, RiskState]:
        """Lift a HALTED account's breaker (see :func:`huracan.risk.state.reset_state`), recorded as an event
        with ``reason`` and ``actor`` at ``now_ms`` (ms UTC). Returns the states before and after; raises
        :class:`RiskError`, recording nothing, if the account is not HALTED, is paused (it stays paused:
        only :meth:`resume` lifts a pause) or the reason is blank."""
        with self.store.locked(account) as locked:
            before = locked.state
            after = reset_state(before, reason, actor, now_ms, self.limits)
            self._save(locked, after, now_ms, actor=actor, code=ReasonCode.RESET)
        return before, after

    def state(self, account: str) -> RiskState:
        """The recorded state of ``account`` (a fresh ACTIVE one if it was never checked)."""
        return self.store.state(account) or RiskState(account)

    def flatten_required(self, state: RiskState) -> bool:
        """True when ``state`` is HALTED and the limits ask to close every position on a breaker trip."""
        return state.trading_state is TradingState.HALTED and self.limits.flatten_on_breaker

    @staticmethod
    def _save(
        account: LockedAccount, state: RiskState, at_ms: int, actor: str = "risk", code: ReasonCode | None = None
    ) -> None:
        change = state_change(account.state, state, at_ms, actor, code)
        if change is not None:
            account.record_event(change)
            log.warning(
                "risk: account %s %s -> %s: %s",
                change.account,
                change.from_state.value.upper(),
                change.to_state.value.upper(),
                change.message,
            )
        account.save_state(state)

    def pause(self, account: str, reason: str, actor: str, now_ms: int) -> tuple[RiskState, RiskState]:
        """Halt ``account`` by hand (see :func:`huracan.risk.state.pause_state`): only reducing orders pass
        until :meth:`resume`. Recorded as an event with ``reason`` and ``actor`` at ``now_ms`` (ms UTC).
        Returns the states before and after; raises :class:`RiskError`, recording nothing, if the account
        is already HALTED or the reason is blank."""
        from huracan.risk.state import pause_state

        return self._by_hand(account, lambda state: pause_state(state, reason, actor, now_ms), actor, now_ms)

    def resume(self, account: str, reason: str, actor: str, now_ms: int) -> tuple[RiskState, RiskState]:
        """Lift a pause of ``account`` (see :func:`huracan.risk.state.resume_state`), recorded as an event
        with ``reason`` and ``actor`` at ``now_ms`` (ms UTC). Returns the states before and after; raises
        :class:`RiskError`, recording nothing, if the account is not paused or the reason is blank."""
        from huracan.risk.state import resume_state

        return self._by_hand(account, lambda state: resume_state(state, reason, actor, now_ms), actor, now_ms)

    def _by_hand(
        self, account: str, change: Callable[[RiskState], RiskState], actor: str, now_ms: int
    ) -> tuple[RiskState, RiskState]:
        """Apply ``change`` to ``account``'s locked state and record it with ``actor`` as who changed it."""
        with self.store.locked(account) as locked:
            before = locked.state
            after = change(before)
            self._save(locked, after, now_ms, actor=actor)
        return before, after

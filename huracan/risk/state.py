"""An account's trading state and how snapshots and resets move it (pure functions, no I/O).

States, as in NautilusTrader's risk engine:

- ``ACTIVE``: every check applies, orders may add exposure.
- ``REDUCING``: the daily loss limit or the daily profit target was reached; only orders that reduce a
  position pass until the first snapshot of the next UTC day, which makes the account ACTIVE again.
- ``HALTED``: the circuit breaker tripped (equity at or below the high-water mark minus the breaker loss);
  only reducing orders pass until :func:`reset_state` (``huracan risk reset --reason ...``). Unlike
  Nautilus, where HALTED passes only cancels, a reducing order passes, so positions can be closed.

HALTED outranks REDUCING: a breaker trip while REDUCING halts, and a new day does not lift HALTED.

A person may also halt an account by hand: :func:`pause_state` (``huracan risk pause``, the dashboard)
makes an ACTIVE or REDUCING account HALTED with the code ``paused``, and only :func:`resume_state`
(``huracan risk resume``) lifts that; :func:`reset_state` is for the breaker's halt.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from huracan.clock import format_ms
from huracan.errors import RiskError
from huracan.risk.limits import RiskLimits
from huracan.risk.reasons import ReasonCode
from huracan.timeframes import DAY_MS


class TradingState(StrEnum):
    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


def utc_day_start_ms(ts_ms: int) -> int:
    """00:00 UTC of the day holding ``ts_ms``, ms UTC."""
    return ts_ms - ts_ms % DAY_MS


@dataclass(frozen=True)
class RiskState:
    """The persisted risk state of one account.

    :param account: account id.
    :param trading_state: ACTIVE, REDUCING or HALTED.
    :param reason_code: why the account is in that state (:class:`ReasonCode`).
    :param reason: the same as a sentence with the numbers.
    :param since_ms: when the account entered that state, ms UTC (None before the first snapshot).
    :param high_water_quote: highest equity observed (since the last reset), quote currency.
    :param day_start_ms: 00:00 UTC of the day the day-start equity belongs to, ms UTC.
    :param day_start_equity_quote: equity at the first snapshot of that UTC day, quote currency.
    :param last_equity_quote: equity at the latest snapshot, quote currency.
    :param updated_ms: time of the latest snapshot, ms UTC.
    """

    account: str
    trading_state: TradingState = TradingState.ACTIVE
    reason_code: ReasonCode = ReasonCode.INITIAL
    reason: str = "no snapshot observed yet"
    since_ms: int | None = None
    high_water_quote: float | None = None
    day_start_ms: int | None = None
    day_start_equity_quote: float | None = None
    last_equity_quote: float | None = None
    updated_ms: int | None = None

    @property
    def daily_pnl_quote(self) -> float | None:
        """Latest equity minus the day-start equity, quote currency (None before the first snapshot)."""
        if self.last_equity_quote is None or self.day_start_equity_quote is None:
            return None
        return self.last_equity_quote - self.day_start_equity_quote

    def breaker_level_quote(self, limits: RiskLimits) -> float | None:
        """Equity at or below which the breaker trips: high-water mark minus the breaker loss, quote currency."""
        return None if self.high_water_quote is None else self.high_water_quote - limits.breaker_loss_quote

    def reducing_until_ms(self) -> int | None:
        """When a REDUCING account becomes ACTIVE again (next 00:00 UTC), ms UTC; None in other states."""
        if self.trading_state is not TradingState.REDUCING or self.day_start_ms is None:
            return None
        return self.day_start_ms + DAY_MS


@dataclass(frozen=True)
class StateChange:
    """A change of trading state, recorded as a risk event: ``actor`` is ``risk`` or the person who reset."""

    account: str
    at_ms: int
    from_state: TradingState
    to_state: TradingState
    code: ReasonCode
    message: str
    actor: str
    equity_quote: float | None
    high_water_quote: float | None


def _enter(state: RiskState, to: TradingState, code: ReasonCode, message: str, now_ms: int) -> RiskState:
    return replace(state, trading_state=to, reason_code=code, reason=message, since_ms=now_ms)


def _apply_daily_limits(state: RiskState, equity_quote: float, now_ms: int, limits: RiskLimits) -> RiskState:
    """REDUCING when an ACTIVE account's day reached its loss limit or profit target."""
    if state.trading_state is not TradingState.ACTIVE or state.day_start_equity_quote is None:
        return state
    pnl = equity_quote - state.day_start_equity_quote
    if pnl <= -limits.daily_loss_limit_quote:
        message = (
            f"daily loss limit reached: equity {equity_quote:,.2f} - day start {state.day_start_equity_quote:,.2f} "
            f"= {pnl:,.2f} <= -{limits.daily_loss_limit_quote:,.2f} (day of {format_ms(state.day_start_ms)} UTC)"
        )
        return _enter(state, TradingState.REDUCING, ReasonCode.DAILY_LOSS_LIMIT, message, now_ms)
    if limits.profit_target_on and pnl >= limits.daily_profit_target_quote:
        message = (
            f"daily profit target reached: equity {equity_quote:,.2f} - day start "
            f"{state.day_start_equity_quote:,.2f} = {pnl:,.2f} >= {limits.daily_profit_target_quote:,.2f} "
            f"(day of {format_ms(state.day_start_ms)} UTC)"
        )
        return _enter(state, TradingState.REDUCING, ReasonCode.DAILY_PROFIT_TARGET, message, now_ms)
    return state


def observe_state(state: RiskState, equity_quote: float, now_ms: int, limits: RiskLimits) -> RiskState:
    """The state after a snapshot of equity ``equity_quote`` (quote currency) at ``now_ms`` (ms UTC).

    In order: a new UTC day records its day-start equity and lifts REDUCING; the high-water mark rises to
    the equity; the breaker trips when equity <= high-water mark - breaker loss; an ACTIVE account whose
    daily P&L reached -daily loss limit or the profit target becomes REDUCING. A snapshot older than the
    latest one (parallel ticks) still trips limits but neither rolls the day back nor replaces the
    latest equity.
    """
    day = utc_day_start_ms(now_ms)
    if state.day_start_ms is None or day > state.day_start_ms:
        state = replace(state, day_start_ms=day, day_start_equity_quote=equity_quote)
        if state.trading_state is TradingState.REDUCING:
            message = f"new UTC day {format_ms(day)}: daily limits start again from equity {equity_quote:,.2f}"
            state = _enter(state, TradingState.ACTIVE, ReasonCode.NEW_DAY, message, now_ms)
    if state.since_ms is None:
        state = _enter(
            state, state.trading_state, ReasonCode.FIRST_SNAPSHOT, f"first snapshot: equity {equity_quote:,.2f}", now_ms
        )
    high_water = equity_quote if state.high_water_quote is None else max(state.high_water_quote, equity_quote)
    latest = state.updated_ms is None or now_ms >= state.updated_ms
    state = replace(
        state,
        high_water_quote=high_water,
        last_equity_quote=equity_quote if latest else state.last_equity_quote,
        updated_ms=now_ms if latest else state.updated_ms,
    )
    breaker_level = high_water - limits.breaker_loss_quote
    if state.trading_state is not TradingState.HALTED and equity_quote <= breaker_level:
        message = (
            f"circuit breaker tripped: equity {equity_quote:,.2f} <= high-water mark {high_water:,.2f} - "
            f"{limits.breaker_loss_quote:,.2f} = {breaker_level:,.2f}"
        )
        return _enter(state, TradingState.HALTED, ReasonCode.BREAKER, message, now_ms)
    return _apply_daily_limits(state, equity_quote, now_ms, limits)


def reset_state(state: RiskState, reason: str, actor: str, now_ms: int, limits: RiskLimits) -> RiskState:
    """Lift the breaker of a HALTED account: the high-water mark restarts at the latest equity, so the
    breaker measures losses from here. The account becomes ACTIVE, or REDUCING if today's daily limits
    are still reached. Raises :class:`RiskError` if ``reason`` is blank, the account is not HALTED, or it
    is paused (a pause is a person's decision: only :func:`resume_state` lifts it, a reset never does)."""
    if not reason.strip():
        raise RiskError("reset: --reason must say why the breaker may be lifted")
    if is_paused(state):
        raise RiskError(
            f"reset: account {state.account!r} is paused ({state.reason}) and stays paused: `huracan risk resume` "
            "lifts a pause, a reset only lifts the circuit breaker"
        )
    if state.trading_state is not TradingState.HALTED:
        raise RiskError(
            f"reset: account {state.account!r} is {state.trading_state.value.upper()}, not HALTED ({state.reason}); "
            "reset only lifts the circuit breaker"
        )
    equity = state.last_equity_quote
    message = (
        f"reset by {actor}: {reason.strip()}; high-water mark restarts at the latest equity {format_quote(equity)}"
    )
    state = replace(_enter(state, TradingState.ACTIVE, ReasonCode.RESET, message, now_ms), high_water_quote=equity)
    if equity is not None and state.day_start_ms == utc_day_start_ms(now_ms):
        limited = _apply_daily_limits(state, equity, now_ms, limits)
        if limited is not state:
            state = replace(limited, reason=f"{message}; {limited.reason}")
    return state


def format_quote(value: float | None) -> str:
    """A quote amount with thousands separators and 2 decimals; ``-`` for None."""
    return "-" if value is None else f"{value:,.2f}"


def state_change(
    old: RiskState, new: RiskState, at_ms: int, actor: str = "risk", code: ReasonCode | None = None
) -> StateChange | None:
    """The event to record when ``new`` has another trading state than ``old``, else None; ``code``
    overrides the new state's reason code (a reset that lands in REDUCING is recorded as a reset)."""
    if old.trading_state is new.trading_state:
        return None
    return StateChange(
        account=new.account,
        at_ms=at_ms,
        from_state=old.trading_state,
        to_state=new.trading_state,
        code=code or new.reason_code,
        message=new.reason,
        actor=actor,
        equity_quote=new.last_equity_quote,
        high_water_quote=new.high_water_quote,
    )


def is_paused(state: RiskState) -> bool:
    """True when ``state`` is HALTED by a person (:func:`pause_state`), not by the breaker."""
    return state.trading_state is TradingState.HALTED and state.reason_code is ReasonCode.PAUSED


def pause_state(state: RiskState, reason: str, actor: str, now_ms: int) -> RiskState:
    """Halt an ACTIVE or REDUCING account by hand at ``now_ms`` (ms UTC): HALTED with the code ``paused``,
    so only orders that reduce a position pass until :func:`resume_state`. The high-water mark, the
    day-start equity and the latest equity are kept; snapshots go on updating them while paused.
    Raises :class:`RiskError` if ``reason`` is blank or the account is already HALTED."""
    if not reason.strip():
        raise RiskError("pause: --reason must say why trading is paused")
    if state.trading_state is TradingState.HALTED:
        lifted_by = "`huracan risk resume`" if is_paused(state) else "`huracan risk reset`"
        raise RiskError(f"pause: account {state.account!r} is already HALTED ({state.reason}); {lifted_by} lifts it")
    message = f"paused by {actor}: {reason.strip()}; `huracan risk resume` lifts the pause"
    return _enter(state, TradingState.HALTED, ReasonCode.PAUSED, message, now_ms)


def resume_state(state: RiskState, reason: str, actor: str, now_ms: int) -> RiskState:
    """Lift a pause (:func:`pause_state`) at ``now_ms`` (ms UTC): the account becomes ACTIVE with the code
    ``resumed``; the high-water mark is kept, so the next snapshot (every order check observes one first)
    trips the breaker, or applies today's daily limits, from the equity then. Raises :class:`RiskError`
    if ``reason`` is blank or the account is not paused (a breaker's halt is lifted by :func:`reset_state`)."""
    if not reason.strip():
        raise RiskError("resume: --reason must say why trading may resume")
    if not is_paused(state):
        raise RiskError(
            f"resume: account {state.account!r} is {state.trading_state.value.upper()} ({state.reason}), not "
            "paused; resume only lifts a pause"
        )
    message = f"resumed by {actor}: {reason.strip()}"
    return _enter(state, TradingState.ACTIVE, ReasonCode.RESUMED, message, now_ms)

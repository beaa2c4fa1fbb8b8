"""What ``huracan risk status`` shows: :func:`build_status` from a state, the limits and, when the caller has
one, a snapshot of the account (then equity, heat and positions are shown, and the state as that snapshot
would leave it, without recording anything)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from huracan.clock import format_ms, iso_ms
from huracan.risk.limits import RiskLimits
from huracan.risk.snapshot import AccountSnapshot
from huracan.risk.state import RiskState, StateChange, format_quote, observe_state


@dataclass(frozen=True)
class RiskStatus:
    """An account's risk state beside its limits; ``snapshot`` and ``events`` are optional extras."""

    state: RiskState
    limits: RiskLimits
    currency: str
    snapshot: AccountSnapshot | None
    events: tuple[StateChange, ...]

    def to_dict(self) -> dict[str, Any]:
        """Every number (quote currency, ms UTC, fractions), times also as ISO-8601."""
        state, limits = self.state, self.limits
        pnl = state.daily_pnl_quote
        level = state.breaker_level_quote(limits)
        data: dict[str, Any] = {
            "account": state.account,
            "currency": self.currency,
            "observed": state.since_ms is not None,
            "state": state.trading_state.value,
            "reason_code": state.reason_code.value,
            "reason": state.reason,
            "since_ms": state.since_ms,
            "since": iso_ms(state.since_ms),
            "reducing_until": iso_ms(state.reducing_until_ms()),
            "high_water_quote": state.high_water_quote,
            "day": iso_ms(state.day_start_ms),
            "day_start_equity_quote": state.day_start_equity_quote,
            "last_equity_quote": state.last_equity_quote,
            "updated": iso_ms(state.updated_ms),
            "daily_pnl_quote": pnl,
            "daily_loss_limit_quote": limits.daily_loss_limit_quote,
            "daily_loss_room_quote": None if pnl is None else pnl + limits.daily_loss_limit_quote,
            "daily_profit_target_quote": limits.daily_profit_target_quote if limits.profit_target_on else None,
            "breaker_level_quote": level,
            "breaker_distance_quote": None
            if level is None or state.last_equity_quote is None
            else state.last_equity_quote - level,
            "limits": limits.to_dict(),
            "snapshot": None,
            "events": [
                {
                    "at": iso_ms(event.at_ms),
                    "from": event.from_state.value,
                    "to": event.to_state.value,
                    "code": event.code.value,
                    "message": event.message,
                    "actor": event.actor,
                }
                for event in self.events
            ],
        }
        if self.snapshot is not None:
            snap = self.snapshot
            data["snapshot"] = {
                "now": iso_ms(snap.now_ms),
                "cash_quote": snap.cash_quote,
                "equity_quote": snap.equity_quote,
                "heat_frac": snap.heat_frac,
                "max_heat_frac": limits.max_heat_frac,
                "positions": [
                    {
                        "symbol": symbol,
                        "qty_base": mark.qty_base,
                        "mark_price_quote": mark.mark_price_quote,
                        "notional_quote": mark.qty_base * mark.mark_price_quote,
                        "max_position_quote": limits.max_position_quote,
                        "last_close": iso_ms(mark.last_close_ms),
                    }
                    for symbol, mark in sorted(snap.positions.items())
                ],
            }
        return data

    def render(self) -> str:
        """The status as aligned lines of text."""
        data = self.to_dict()
        state, limits = self.state, self.limits
        if not data["observed"]:
            return (
                f"risk status of account {state.account} ({self.currency}): nothing recorded yet; ACTIVE, "
                "limits apply from its first order or snapshot"
            )
        state_line = f"{state.trading_state.value.upper()} since {format_ms(state.since_ms)} UTC"
        until = state.reducing_until_ms()
        if until is not None:
            state_line += f", until {format_ms(until)} UTC"
        target = f"{limits.daily_profit_target_quote:,.2f}" if limits.profit_target_on else "off"
        rows = [
            ("state", state_line),
            ("reason", f"{state.reason_code.value}: {state.reason}"),
            ("high-water mark", format_quote(state.high_water_quote)),
            (
                "day start equity",
                f"{format_quote(state.day_start_equity_quote)} (day of {format_ms(state.day_start_ms)} UTC)",
            ),
            ("last equity", f"{format_quote(state.last_equity_quote)} at {format_ms(state.updated_ms)} UTC"),
            (
                "daily P&L",
                f"{format_quote(data['daily_pnl_quote'])} (loss limit -{limits.daily_loss_limit_quote:,.2f}, "
                f"room {format_quote(data['daily_loss_room_quote'])}; profit target {target})",
            ),
            (
                "breaker",
                f"trips at equity {format_quote(data['breaker_level_quote'])} (high-water mark - "
                f"{limits.breaker_loss_quote:,.2f}); distance {format_quote(data['breaker_distance_quote'])}",
            ),
        ]
        snap = self.snapshot
        if snap is not None:
            rows.append(
                (
                    "equity now",
                    f"{snap.equity_quote:,.2f} (cash {snap.cash_quote:,.2f}) at {format_ms(snap.now_ms)} UTC",
                )
            )
            rows.append(("heat", f"{snap.heat_frac:.2%} of {limits.max_heat_frac:.2%}"))
            for symbol, mark in sorted(snap.positions.items()):
                rows.append(
                    (
                        f"  {symbol}",
                        f"{mark.qty_base:.8g} at {mark.mark_price_quote:,.2f} = "
                        f"{mark.qty_base * mark.mark_price_quote:,.2f} of {limits.max_position_quote:,.2f}",
                    )
                )
        if self.events:
            rows.append(("state changes", "newest first"))
        for event in self.events:
            rows.append(
                (
                    "  " + format_ms(event.at_ms),
                    f"{event.from_state.value.upper()} -> {event.to_state.value.upper()} by {event.actor}: {event.message}",
                )
            )
        width = max(len(name) for name, _ in rows)
        head = f"risk status of account {state.account} ({self.currency})"
        return "\n".join([head, *(f"  {name.ljust(width)}  {value}" for name, value in rows)])


def build_status(
    state: RiskState,
    limits: RiskLimits,
    currency: str,
    snapshot: AccountSnapshot | None = None,
    events: Sequence[StateChange] = (),
) -> RiskStatus:
    """The status of ``state``'s account. With ``snapshot`` the state is shown as observing it would leave
    it (a new day, the high-water mark, trips), which is not recorded; ``events`` are shown as given."""
    if snapshot is not None:
        state = observe_state(state, snapshot.equity_quote, snapshot.now_ms, limits)
    return RiskStatus(state=state, limits=limits, currency=currency, snapshot=snapshot, events=tuple(events))

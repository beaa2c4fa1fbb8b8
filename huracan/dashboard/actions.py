"""The dashboard's state-changing actions on an account's risk state: resetting the circuit breaker, and
pausing and resuming trading by hand (:meth:`~huracan.risk.manager.RiskManager.reset`, ``pause``,
``resume``, the same calls as ``huracan risk reset|pause|resume``). Each is recorded as a risk event
with the Airflow user's name as the actor and the reason they typed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from huracan.errors import RiskError
from huracan.risk.manager import RiskManager
from huracan.risk.state import RiskState, TradingState, is_paused


class Action(StrEnum):
    RESET = "reset"
    PAUSE = "pause"
    RESUME = "resume"


@dataclass(frozen=True)
class ActionText:
    """What the confirm page says: ``title`` (the button) and ``effect`` (what will happen)."""

    title: str
    effect: str


TEXTS = {
    Action.RESET: ActionText(
        "Reset the circuit breaker",
        "The account becomes ACTIVE (or REDUCING if today's daily loss limit is still reached) and the "
        "high-water mark restarts at the latest equity, so the breaker measures losses from here.",
    ),
    Action.PAUSE: ActionText(
        "Pause trading",
        "The account becomes HALTED: every order that would add exposure is denied, orders that reduce a "
        "position still pass, until trading is resumed. The breaker and the daily limits keep being tracked.",
    ),
    Action.RESUME: ActionText(
        "Resume trading",
        "The pause is lifted and the account becomes ACTIVE; the next snapshot applies the breaker and "
        "today's daily limits from the equity then.",
    ),
}


def offered(state: RiskState) -> tuple[Action, ...]:
    """The actions that apply to ``state``: resume a paused account, reset a breaker's halt, else pause."""
    if is_paused(state):
        return (Action.RESUME,)
    if state.trading_state is TradingState.HALTED:
        return (Action.RESET,)
    return (Action.PAUSE,)


def refusal(action: Action, state: RiskState) -> str | None:
    """Why ``action`` does not apply to ``state`` now (a sentence), or None when it does."""
    if action in offered(state):
        return None
    now = f"account {state.account} is {state.trading_state.value.upper()} ({state.reason})"
    if action is Action.RESET:
        lifts = (
            "it stays paused: a reset only lifts the breaker, resuming lifts a pause"
            if is_paused(state)
            else "there is no breaker to reset"
        )
        return f"{now}: {lifts}"
    if action is Action.PAUSE:
        return f"{now}: it is already halted"
    return f"{now}: it is not paused"


def perform(
    manager: RiskManager, action: Action, account: str, reason: str, actor: str, now_ms: int
) -> tuple[RiskState, RiskState]:
    """Do ``action`` on ``account`` for ``actor`` at ``now_ms`` (ms UTC) with ``reason``; returns the states
    before and after. Raises :class:`RiskError`, changing nothing, if it does not apply to the account's
    state or the reason is blank."""
    if not reason.strip():
        raise RiskError(f"{action.value}: the reason must say why (it is recorded)")
    why_not = refusal(action, manager.state(account))
    if why_not is not None:
        raise RiskError(f"{action.value}: {why_not}")
    if action is Action.RESET:
        return manager.reset(account, reason, actor, now_ms)
    if action is Action.PAUSE:
        return manager.pause(account, reason, actor, now_ms)
    return manager.resume(account, reason, actor, now_ms)

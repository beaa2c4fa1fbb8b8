"""``huracan risk status|reset|pause|resume``: the risk manager's state, lifting its breaker, and halting
an account's trading by hand and lifting that.

Exit codes: 0 success (also a reset of an ACTIVE account, a pause of a paused one or a resume of an ACTIVE
one: nothing to do), 1 the command is refused (a reset of a REDUCING or paused account, or of one without
a recorded state; a pause of an account the breaker halted; a resume of an account that is not paused)
or a setting is invalid (one line naming it, as for every command), 2 bad usage (blank ``--reason`` or
``--by``, bad ``--account``).
"""

from __future__ import annotations

import getpass
import json
import time
from typing import TYPE_CHECKING

import typer

from huracan.cli.common import console, reported_errors
from huracan.config import get_settings
from huracan.risk.intent import MAX_ACCOUNT_LEN
from huracan.risk.manager import PAPER_ACCOUNT

if TYPE_CHECKING:
    from huracan.risk.state import RiskState

risk_app = typer.Typer(
    help="The risk manager: its state per account, resetting its circuit breaker, pausing and resuming trading."
)


def _account(value: str) -> str:
    if not 0 < len(value) <= MAX_ACCOUNT_LEN or value.strip() != value:
        raise typer.BadParameter(
            f"must be 1 to {MAX_ACCOUNT_LEN} characters without surrounding spaces, got {value!r}",
            param_hint="--account",
        )
    return value


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return "unknown"


@risk_app.command("status")
def status(
    account: str = typer.Option(PAPER_ACCOUNT, "--account", "-a", help="Account id."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of the readable status."),
) -> None:
    """Show an account's trading state (ACTIVE, REDUCING, HALTED) and why, since when, the high-water mark,
    the day's P&L against its limit and the distance to the circuit breaker."""
    from huracan.execution.paper import PaperBroker
    from huracan.risk.manager import RiskManager
    from huracan.risk.status import build_status

    account = _account(account)
    with reported_errors():
        settings = get_settings()
        manager = RiskManager.from_settings(settings)
        snapshot = PaperBroker.from_settings(settings, account).recorded_snapshot(int(time.time() * 1000))
        report = build_status(
            manager.state(account),
            manager.limits,
            settings.account_currency,
            snapshot=snapshot,
            events=manager.store.events(account, 5),
        )
    if as_json:
        typer.echo(json.dumps(report.to_dict()))
    else:
        console.print(report.render(), highlight=False, soft_wrap=True, markup=False)


@risk_app.command("reset")
def reset(
    reason: str = typer.Option(..., "--reason", "-r", help="Why the breaker may be lifted (recorded)."),
    account: str = typer.Option(PAPER_ACCOUNT, "--account", "-a", help="Account id."),
    actor: str | None = typer.Option(None, "--by", help="Who resets (recorded; default: the OS user name)."),
) -> None:
    """Lift the circuit breaker of a HALTED account: it becomes ACTIVE (or REDUCING if today's daily limit
    is still reached) and the high-water mark restarts at the latest equity. Recorded with the reason."""
    from huracan.risk.manager import RiskManager
    from huracan.risk.state import TradingState

    if not reason.strip():
        raise typer.BadParameter("must say why the breaker may be lifted, got a blank text", param_hint="--reason")
    account = _account(account)
    who = _actor(actor)
    with reported_errors():
        settings = get_settings()
        manager = RiskManager.from_settings(settings)
        recorded = manager.store.state(account)
        if recorded is None:
            console.print(f"account {account} has no recorded risk state: nothing to reset", highlight=False)
            raise typer.Exit(1)
        if recorded.trading_state is TradingState.ACTIVE:
            console.print(f"account {account} is ACTIVE ({recorded.reason}): nothing to reset", highlight=False)
            return
        before, after = manager.reset(account, reason, who, int(time.time() * 1000))
    _say_change(account, before, after)


def _actor(actor: str | None) -> str:
    """``--by``, or the OS user name; a blank name is bad usage."""
    who = actor if actor is not None else _os_user()
    if not who.strip():
        raise typer.BadParameter("must name who acts, got a blank text", param_hint="--by")
    return who


def _by_hand(reason: str, account: str, actor: str | None, why: str) -> tuple[str, str]:
    """The checked ``--account`` and who acts; a blank ``--reason`` (which must say ``why``) is bad usage."""
    if not reason.strip():
        raise typer.BadParameter(f"must say why {why}, got a blank text", param_hint="--reason")
    return _account(account), _actor(actor)


def _say(text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True, markup=False)


def _say_change(account: str, before: RiskState, after: RiskState) -> None:
    _say(
        f"account {account}: {before.trading_state.value.upper()} -> {after.trading_state.value.upper()}; {after.reason}"
    )


@risk_app.command("pause")
def pause(
    reason: str = typer.Option(..., "--reason", "-r", help="Why trading is paused (recorded)."),
    account: str = typer.Option(PAPER_ACCOUNT, "--account", "-a", help="Account id."),
    actor: str | None = typer.Option(None, "--by", help="Who pauses (recorded; default: the OS user name)."),
) -> None:
    """Halt an account's trading by hand: it becomes HALTED (code ``paused``), every order that would add
    exposure is denied and only reducing orders pass until ``huracan risk resume``. Recorded with the reason."""
    from huracan.risk.manager import RiskManager
    from huracan.risk.state import TradingState, is_paused

    account, who = _by_hand(reason, account, actor, "trading is paused")
    with reported_errors():
        manager = RiskManager.from_settings(get_settings())
        recorded = manager.state(account)
        if is_paused(recorded):
            _say(f"account {account} is already paused ({recorded.reason}): nothing to do")
            return
        if recorded.trading_state is TradingState.HALTED:
            _say(f"account {account} is HALTED by the breaker ({recorded.reason}): nothing to pause")
            raise typer.Exit(1)
        before, after = manager.pause(account, reason, who, int(time.time() * 1000))
    _say_change(account, before, after)


@risk_app.command("resume")
def resume(
    reason: str = typer.Option(..., "--reason", "-r", help="Why trading may resume (recorded)."),
    account: str = typer.Option(PAPER_ACCOUNT, "--account", "-a", help="Account id."),
    actor: str | None = typer.Option(None, "--by", help="Who resumes (recorded; default: the OS user name)."),
) -> None:
    """Lift a pause (``huracan risk pause``): the account becomes ACTIVE; the next snapshot applies the
    breaker and today's daily limits from its equity then. A breaker's halt is lifted by ``huracan risk reset``."""
    from huracan.risk.manager import RiskManager
    from huracan.risk.state import TradingState, is_paused

    account, who = _by_hand(reason, account, actor, "trading may resume")
    with reported_errors():
        manager = RiskManager.from_settings(get_settings())
        recorded = manager.state(account)
        if recorded.trading_state is TradingState.ACTIVE:
            _say(f"account {account} is ACTIVE ({recorded.reason}): nothing to resume")
            return
        if not is_paused(recorded):
            lifted = "`huracan risk reset` lifts the breaker's halt"
            if recorded.trading_state is TradingState.REDUCING:
                lifted = "the next UTC day lifts REDUCING"
            state = recorded.trading_state.value.upper()
            _say(f"account {account} is {state}, not paused ({recorded.reason}): {lifted}")
            raise typer.Exit(1)
        before, after = manager.resume(account, reason, who, int(time.time() * 1000))
    _say_change(account, before, after)


def register(app: typer.Typer) -> None:
    app.add_typer(risk_app, name="risk")

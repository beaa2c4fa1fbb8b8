"""``huracan risk status`` and ``huracan risk reset``: the risk manager's state, and lifting its breaker.

Exit codes: 0 success (also a reset of an ACTIVE account: nothing to do), 1 the reset is refused (the
account is REDUCING, or has no recorded state) or a setting is invalid (one line naming it, as for every
command), 2 bad usage (blank ``--reason``, bad ``--account``).
"""

from __future__ import annotations

import getpass
import json
import time

import typer

from huracan.cli.common import console, reported_errors
from huracan.config import get_settings
from huracan.risk.intent import MAX_ACCOUNT_LEN
from huracan.risk.manager import PAPER_ACCOUNT

risk_app = typer.Typer(help="The risk manager: its state per account, and resetting its circuit breaker.")


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
    who = actor if actor is not None else _os_user()
    if not who.strip():
        raise typer.BadParameter("must name who resets, got a blank text", param_hint="--by")
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
    console.print(
        f"account {account}: {before.trading_state.value.upper()} -> {after.trading_state.value.upper()}; {after.reason}",
        highlight=False,
        soft_wrap=True,
        markup=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(risk_app, name="risk")

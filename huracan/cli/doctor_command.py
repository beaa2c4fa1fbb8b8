"""``huracan doctor``: every health check (store, MLflow, champions, exchange and its clock, fresh candles,
breakers, disk, DAG files), each PASS, WARN or FAIL with its fix.

Exit codes: 0 no check failed (warnings allowed), 1 a check failed or a setting is invalid.
"""

from __future__ import annotations

import json

import typer
from rich.markup import escape

from huracan.cli.common import console, reported_errors
from huracan.config import get_settings

_STYLE = {"PASS": "green", "WARN": "yellow", "FAIL": "red"}


def doctor(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of the readable report."),
) -> None:
    """Check that the system can trade: store reachable and migrated, MLflow reachable, a loadable champion per
    symbol of HURACAN_DOCTOR_SYMBOLS, the exchange reachable with its clock within 1 s, fresh candles, no tripped
    breaker, free disk space, and DAG files that import."""
    from huracan.health.doctor import Status, doctor_symbols, run_checks

    with reported_errors():
        settings = get_settings()
        doctor_symbols(settings)  # a bad symbol is a setting error (exit 1, one line), not a check
        checks = list(run_checks(settings))
    failed = any(check.status is Status.FAIL for check in checks)
    if as_json:
        typer.echo(json.dumps({"ok": not failed, "checks": [check.to_dict() for check in checks]}))
    else:
        width = max(len(check.name) for check in checks)
        for check in checks:
            status = check.status.value
            line = f"[{_STYLE[status]}]{status}[/]  {escape(check.name.ljust(width))}  {escape(check.detail)}"
            if check.fix:
                line += f"\n      {' ' * width}  fix: {escape(check.fix)}"
            console.print(line, highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(doctor)

"""What every subcommand shares: settings, error reporting, option parsing, the output console."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from huracan.clock import parse_instant_ms
from huracan.errors import HuracanError
from huracan.timeframes import Timeframe

console = Console()
err_console = Console(stderr=True)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn a Huracan error into one red line on stderr and exit code 1."""
    try:
        yield
    except HuracanError as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc


def instant_option(value: str | None, name: str) -> int | None:
    """Parse an optional date/time option to ms UTC; bad text exits 2 naming the option."""
    if value is None:
        return None
    try:
        return parse_instant_ms(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=name) from exc


def timeframe_option(value: str) -> Timeframe:
    """Parse a timeframe option; an unknown one exits 2 listing the supported ones."""
    try:
        return Timeframe.parse(value)
    except HuracanError as exc:
        raise typer.BadParameter(str(exc), param_hint="--timeframe") from exc

"""What every subcommand shares: settings, error reporting, option parsing, the output console."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from huracan.clock import format_ms, parse_instant_ms
from huracan.errors import HuracanError
from huracan.redaction import redact
from huracan.series import normalize_symbol
from huracan.timeframes import Timeframe

console = Console()
err_console = Console(stderr=True)


def print_error(message: str) -> None:
    """``message`` as one red ``error:`` line on stderr, secrets redacted."""
    err_console.print(f"[red]error:[/red] {escape(redact(message))}", highlight=False, soft_wrap=True)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn a Huracan error, or a database error that escaped the store, into one red line on stderr
    and exit code 1 (never a traceback)."""
    try:
        yield
    except HuracanError as exc:
        print_error(str(exc))
        raise typer.Exit(1) from exc
    except Exception as exc:
        sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
        if sqlalchemy_exc is None or not isinstance(exc, sqlalchemy_exc.SQLAlchemyError):
            raise
        cause = getattr(exc, "orig", None) or exc
        first = next((line.strip() for line in str(cause).splitlines() if line.strip()), type(cause).__name__)
        print_error(f"the store failed: {first}")
        raise typer.Exit(1) from exc


def symbol_option(value: str) -> str:
    """Normalise a ``--symbol`` value (see :func:`huracan.series.normalize_symbol`); a bad one exits 2."""
    try:
        return normalize_symbol(value)
    except HuracanError as exc:
        raise typer.BadParameter(str(exc), param_hint="--symbol") from exc


def symbols_option(values: list[str]) -> list[str]:
    """:func:`symbol_option` for a repeated ``--symbol``."""
    return [symbol_option(value) for value in values]


def range_options(start: str | None, end: str | None, names: tuple[str, str]) -> tuple[int | None, int | None]:
    """Two date/time options (first and last open time, ms UTC); bad text, or the first after the
    second, exits 2 naming both options. ``names`` are the options' names, e.g. ``("--since", "--until")``."""
    start_ms, end_ms = instant_option(start, names[0]), instant_option(end, names[1])
    if start_ms is not None and end_ms is not None and start_ms > end_ms:
        raise typer.BadParameter(
            f"{names[0]} {format_ms(start_ms)} is after {names[1]} {format_ms(end_ms)}", param_hint=names[0]
        )
    return start_ms, end_ms


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

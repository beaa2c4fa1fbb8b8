"""Data subcommands: ``download``, ``import-csv``, ``export-csv`` and ``db upgrade``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from huracan.cli.common import (
    console,
    err_console,
    print_error,
    range_options,
    reported_errors,
    symbol_option,
    symbols_option,
    timeframe_option,
)
from huracan.clock import format_ms
from huracan.config import get_settings
from huracan.data.sync import ProgressCallback, SyncSummary
from huracan.redaction import redact

_COUNTS = ("fetched", "requests", "stored", "refused")


def _summary_table(summaries: list[SyncSummary]) -> Table:
    table = Table(title="Download summary", title_justify="left")
    for column in ("series", "fetched", "requests", "first candle", "last candle", "stored", "refused", "holes left"):
        table.add_column(column, justify="right" if column in _COUNTS else "left")
    for summary in summaries:
        if summary.error is not None:
            table.add_row(str(summary.key), "-", "-", "-", "-", "-", "-", f"[red]failed: {redact(summary.error)}[/red]")
            continue
        bounds = summary.bounds
        holes = ", ".join(
            f"{format_ms(gap.first_ms)}..{format_ms(gap.last_ms)} ({gap.missing})" for gap in summary.holes[:5]
        )
        if len(summary.holes) > 5:
            holes += f" and {len(summary.holes) - 5} more"
        table.add_row(
            str(summary.key),
            f"{summary.fetched:,}",
            f"{summary.requests:,}",
            format_ms(bounds.first_ms if bounds else None),
            format_ms(bounds.last_ms if bounds else None),
            f"{bounds.count:,}" if bounds else "0",
            f"{len(summary.refused):,}",
            holes or "none",
        )
    return table


def _report(summaries: list[SyncSummary]) -> None:
    """Refused and held-back candles as warnings, failures (errors, truncated tails) as errors, on stderr."""
    for summary in summaries:
        for refusal in summary.refused[:5]:
            err_console.print(
                f"[yellow]refused:[/yellow] {summary.key} {refusal.describe()}; not stored", highlight=False
            )
        if len(summary.refused) > 5:
            err_console.print(
                f"[yellow]refused:[/yellow] {summary.key}: {len(summary.refused) - 5} more", highlight=False
            )
        if summary.held_back_ms is not None:
            err_console.print(
                f"[yellow]held back:[/yellow] {summary.key} {format_ms(summary.held_back_ms)}: the exchange still "
                "serves it as its newest candle; the next run stores it",
                highlight=False,
            )
        if summary.failure is not None:
            print_error(summary.failure)


def download(
    symbols: list[str] = typer.Option(
        ..., "--symbol", "-s", callback=symbols_option, help="Unified symbol, e.g. BTC/USDT; repeat for more."
    ),
    timeframe: str = typer.Option(..., "--timeframe", "-t", help="Candle timeframe: 1m, 5m, 15m, 1h, 4h, 1d, ..."),
    since: str | None = typer.Option(None, help="First open time wanted (YYYY-MM-DD or ISO-8601, UTC)."),
    until: str | None = typer.Option(None, help="Last open time wanted, included (default: last closed candle)."),
) -> None:
    """Fetch missing closed candles from the exchange into the store (resumes; re-fetches holes).

    Every candle is checked first; a bad one is refused and reported, never stored. Exit 1 when a
    series failed or its range ends with candles the exchange did not send (truncated)."""
    from huracan.data.sync import download as run_download

    tf = timeframe_option(timeframe)
    since_ms, until_ms = range_options(since, until, ("--since", "--until"))
    with reported_errors():
        settings = get_settings()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err_console,
            disable=not err_console.is_terminal,
            transient=True,
        ) as bar:

            def progress_for(symbol: str) -> ProgressCallback:
                task = bar.add_task(f"{symbol} {tf}", total=None)
                return lambda done, expected: bar.update(task, completed=done, total=max(expected, done))

            summaries = run_download(settings, symbols, tf, since_ms, until_ms, progress_for)
    console.print(_summary_table(summaries))
    _report(summaries)
    if any(summary.failure for summary in summaries):
        raise typer.Exit(1)


def import_csv(
    path: Path = typer.Argument(..., help="CSV with header timestamp,open,high,low,close,volume."),
    symbol: str = typer.Option(..., "--symbol", "-s", callback=symbol_option, help="Unified symbol, e.g. BTC/USDT."),
    timeframe: str = typer.Option(..., "--timeframe", "-t"),
    exchange: str | None = typer.Option(None, help="Exchange id to file the candles under (default HURACAN_EXCHANGE)."),
) -> None:
    """Import candles from a CSV file; a malformed row or a bad candle imports nothing and names its line."""
    from huracan.data.candle_store import CandleStore, SeriesKey
    from huracan.data.csv_io import import_csv as run_import

    tf = timeframe_option(timeframe)
    with reported_errors():
        settings = get_settings()
        key = SeriesKey(exchange or settings.exchange, symbol, tf.name)
        count = run_import(CandleStore.open(settings.store_url), key, path)
    console.print(f"imported {count:,} candles into {key}")


def export_csv(
    path: Path = typer.Argument(..., help="Where to write the CSV (replaced if it exists)."),
    symbol: str = typer.Option(..., "--symbol", "-s", callback=symbol_option, help="Unified symbol, e.g. BTC/USDT."),
    timeframe: str = typer.Option(..., "--timeframe", "-t"),
    exchange: str | None = typer.Option(None, help="Exchange id of the series (default HURACAN_EXCHANGE)."),
) -> None:
    """Export a stored series to CSV (timestamp in integer ms UTC)."""
    from huracan.data.candle_store import CandleStore, SeriesKey
    from huracan.data.csv_io import export_csv as run_export

    tf = timeframe_option(timeframe)
    with reported_errors():
        settings = get_settings()
        key = SeriesKey(exchange or settings.exchange, symbol, tf.name)
        count = run_export(CandleStore.open(settings.store_url), key, path)
    console.print(f"exported {count:,} candles of {key} to {path}")


def db_upgrade() -> None:
    """Apply the store's schema migrations (also done automatically on first use)."""
    from huracan.data.db import create_store_engine, current_revision, upgrade

    with reported_errors():
        engine = create_store_engine(get_settings().store_url)
        upgrade(engine)
        console.print(f"store at revision {current_revision(engine)}")


def register(app: typer.Typer) -> None:
    app.command()(download)
    app.command("import-csv")(import_csv)
    app.command("export-csv")(export_csv)
    db = typer.Typer(help="The store's database.", no_args_is_help=True)
    db.command("upgrade")(db_upgrade)
    app.add_typer(db, name="db")

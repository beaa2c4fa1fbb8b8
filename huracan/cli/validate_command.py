"""``huracan validate``: the data-quality gate on a stored series.

Exit codes: 0 no critical check failed (warnings may have), 1 a critical check failed or nothing is
stored for the series, 2 bad usage (unknown timeframe or purpose, unreadable date, bad threshold).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.text import Text

from huracan.cli.common import (
    console,
    err_console,
    instant_option,
    range_options,
    reported_errors,
    symbol_option,
    timeframe_option,
)
from huracan.config import get_settings
from huracan.errors import ConfigError
from huracan.quality.thresholds import Purpose


def _styled(text: str) -> Text:
    """The report's text with PASS green, FAIL red (the words are unchanged)."""
    styled = Text(text)
    styled.highlight_regex(r"^  PASS", "green")
    styled.highlight_regex(r"^  FAIL", "bold red")
    styled.highlight_regex(r"(PASSED|FAILED)$", "bold")
    return styled


@contextmanager
def _quiet(enabled: bool) -> Iterator[None]:
    """Hold back the gate's INFO log line while ``enabled`` (stdout must carry only the JSON object)."""
    logger = logging.getLogger("huracan.quality")
    previous = logger.level
    if enabled:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)


def validate(
    symbol: str = typer.Option(..., "--symbol", "-s", callback=symbol_option, help="Unified symbol, e.g. BTC/USDT."),
    timeframe: str = typer.Option(..., "--timeframe", "-t", help="Candle timeframe: 1m, 5m, 15m, 1h, 4h, 1d, ..."),
    start: str | None = typer.Option(None, help="First open time to validate (default: the first stored candle)."),
    end: str | None = typer.Option(None, help="Last open time to validate, included (default: the last stored)."),
    purpose: Purpose = typer.Option(
        Purpose.TRAINING, "--for", help="What the candles are for: staleness blocks live use, warns for training."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of the readable report."),
    exchange: str | None = typer.Option(None, help="Exchange id of the series (default HURACAN_EXCHANGE)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Reference time of the staleness check (default: now)."),
    min_coverage: float | None = typer.Option(
        None, help="Override HURACAN_QUALITY_MIN_COVERAGE for this run (a fraction, e.g. 0.99)."
    ),
    max_gap: int | None = typer.Option(None, help="Override HURACAN_QUALITY_MAX_GAP_CANDLES for this run (candles)."),
    min_rows: int | None = typer.Option(None, help="Override the minimum row count for this run (rows)."),
) -> None:
    """Run the data-quality gate (Great Expectations suite + coverage, gaps, staleness, outliers) on stored
    candles; write the reports under HURACAN_HOME/reports and record the result in the store."""
    from huracan.data.candle_store import SeriesKey
    from huracan.quality.gate import validate_series
    from huracan.quality.report import render_text
    from huracan.quality.thresholds import QualityThresholds

    tf = timeframe_option(timeframe)
    start_ms, end_ms = range_options(start, end, ("--start", "--end"))
    as_of_ms = instant_option(as_of, "--as-of")
    with reported_errors():
        settings = get_settings()
    try:
        thresholds = QualityThresholds.from_settings(settings, purpose).with_overrides(
            min_coverage=min_coverage, max_gap_candles=max_gap, min_rows=min_rows
        )
    except ConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint="--min-coverage/--max-gap/--min-rows") from exc
    with reported_errors(), _quiet(as_json):
        key = SeriesKey(exchange or settings.exchange, symbol, tf.name)
        report = validate_series(settings, key, start_ms, end_ms, purpose, thresholds, as_of_ms=as_of_ms)
    data = report.to_dict()
    if as_json:
        typer.echo(json.dumps(data))
    else:
        console.print(_styled(render_text(data)), highlight=False, soft_wrap=True)
    if not report.success:
        err_console.print(f"[red]data-quality gate failed:[/red] {', '.join(report.failures)}", highlight=False)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(validate)

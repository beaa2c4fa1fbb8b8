"""Live subcommands: ``paper-run`` (the live tick replayed over stored history beside the backtest).

Exit codes: 0 done, 1 a Huracan error (no model, no candles), 2 bad usage.
"""

from __future__ import annotations

import json

import typer
from rich.table import Table

from huracan.cli.common import console, instant_option, reported_errors, timeframe_option
from huracan.cli.model_commands import _fmt, execution_option
from huracan.clock import format_ms
from huracan.config import get_settings


def paper_run(
    symbol: str = typer.Option(..., "--symbol", "-s", help="Unified symbol, e.g. BTC/USDT."),
    timeframe: str = typer.Option(..., "--timeframe", "-t", help="Candle timeframe: 1m, 5m, 15m, 1h, 4h, 1d, ..."),
    start: str | None = typer.Option(None, help="Window start (decision times, UTC); default the model's test window."),
    end: str | None = typer.Option(None, help="Window end, excluded; default the model's test window end."),
    model: str = typer.Option(
        "champion", help="champion (default), challenger or a version; anything but the champion is paper only."
    ),
    limits: str = typer.Option(
        "replay", help="replay: limits that cannot bind (the result must equal the backtest); settings: HURACAN_RISK_*."
    ),
    execution: str | None = typer.Option(None, help="taker or maker_first (default HURACAN_EXECUTION)."),
    as_json: bool = typer.Option(False, "--json", help='Print {"paper": {...}, "backtest": {...}, ...} as JSON.'),
) -> None:
    """Replay the live tick over stored candles at full speed on the paper broker (every order through the
    risk manager, every decision recorded) and report the paper account beside the backtest of the same
    model and window, with the same metric names as ``huracan backtest --json``."""
    from huracan.live.replay import paper_run as run
    from huracan.registry.models import resolve
    from huracan.registry.naming import model_name
    from huracan.registry.tracking import configure_tracking

    tf = timeframe_option(timeframe)
    start_ms, end_ms = instant_option(start, "--start"), instant_option(end, "--end")
    with reported_errors():
        settings = get_settings()
        policy = execution_option(settings, execution, None, None)
        client = configure_tracking(settings)
        if start_ms is None or end_ms is None:
            test = resolve(client, model_name(symbol, tf), model).window("test")
            start_ms = test.start_ms if start_ms is None else start_ms
            end_ms = test.end_ms if end_ms is None else end_ms
        result = run(settings, client, symbol, tf, start_ms, end_ms, model, limits, policy)
    if as_json:
        typer.echo(json.dumps(result.as_json(), indent=2))
        return
    table = Table(
        title=f"{symbol} {tf} - {result.account} - {format_ms(int(result.times_ms[0]))} .. "
        f"{format_ms(int(result.times_ms[-1]))} ({len(result.levels):,} ticks, {result.fills:,} fills, "
        f"{result.resized} resized, {result.denied} denied)",
        title_justify="left",
    )
    table.add_column("metric")
    table.add_column("paper", justify="right", style="bold")
    table.add_column("backtest", justify="right")
    for key, value in result.metrics.items():
        table.add_row(key, _fmt(key, value), _fmt(key, result.backtest.metrics[key]))
    console.print(table)
    console.print(
        "paper account equals the backtest bit for bit"
        if result.identical
        else "paper account differs from the backtest: see the resized and denied decisions (`huracan orders`)",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("paper-run")(paper_run)

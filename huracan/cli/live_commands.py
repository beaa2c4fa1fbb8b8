"""Live subcommands: ``live-step`` (one tick by hand, what a live DAG task runs) and ``paper-run`` (the live
tick replayed over stored history beside the backtest).

Exit codes: 0 done (also a tick with no champion: it records that), 1 a Huracan error (the candles failed
the live data-quality gate, no model, no candles; in live mode a reconciliation mismatch or a candle that
is no longer the latest), 2 bad usage (including live mode without the live-trading setting and keys, or
for another model than the champion).
"""

from __future__ import annotations

import json

import typer
from rich.table import Table

from huracan.cli.common import console, instant_option, reported_errors, timeframe_option
from huracan.cli.formats import format_metric
from huracan.cli.model_commands import execution_option
from huracan.clock import format_ms
from huracan.config import get_settings
from huracan.errors import ConfigError


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
        table.add_row(key, format_metric(key, value), format_metric(key, result.backtest.metrics[key]))
    console.print(table)
    console.print(
        "paper account equals the backtest bit for bit"
        if result.identical
        else "paper account differs from the backtest: see the resized and denied decisions (`huracan orders`)",
        highlight=False,
    )


def live_step(
    symbol: str = typer.Option(..., "--symbol", "-s", help="Unified symbol, e.g. BTC/USDT."),
    timeframe: str = typer.Option(..., "--timeframe", "-t", help="Candle timeframe: 1m, 5m, 15m, 1h, 4h, 1d, ..."),
    at: str | None = typer.Option(None, "--at", help="The tick's time (UTC); default the exchange's clock."),
    mode: str = typer.Option(
        "paper", "--mode", help="paper (default) or live (the champion on the exchange; needs live trading and keys)."
    ),
    model: str = typer.Option(
        "champion", help="champion (default), challenger or a version; anything but the champion is paper only."
    ),
    shadow: bool = typer.Option(True, "--shadow/--no-shadow", help="Let the challenger decide for its shadow account."),
    as_json: bool = typer.Option(False, "--json", help="Print the tick as JSON."),
) -> None:
    """One live tick: sync the latest closed candles, validate them for live use, let the champion (and the
    challenger in shadow) decide on the last closed candle, risk-check, order on the paper broker (or, with
    ``--mode live``, the champion's order on the exchange after reconciling the symbol), record. Running it
    again for the same candle changes nothing."""
    from huracan.cli.trading_commands import check_mode
    from huracan.execution.live_mode import require_live_model
    from huracan.live.tick import live_tick
    from huracan.registry.tracking import configure_tracking

    tf = timeframe_option(timeframe)
    at_ms = instant_option(at, "--at")
    with reported_errors():
        settings = get_settings()
        if check_mode(settings, mode) == "live":
            try:
                require_live_model(model)
            except ConfigError as exc:
                raise typer.BadParameter(str(exc), param_hint="--model") from exc
        report = live_tick(settings, configure_tracking(settings), symbol, tf, at_ms, model, shadow, mode)
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2))
        return
    console.print(
        f"{symbol} {tf} tick at {format_ms(report.decision_ms)}: {report.validation.summary()}", highlight=False
    )
    if report.note:
        console.print(report.note, highlight=False)
    for account, stepped in report.steps.items():
        d = stepped.decision
        what = "recorded before: nothing changed" if not stepped.new else f"{len(stepped.fills)} fill(s) settled"
        order = f", order {d.client_order_id} {d.verdict}" if d.client_order_id else ""
        console.print(
            f"{account}: {d.model_name} v{d.model_version} action {d.action} (level {d.level_before} -> {d.action}, "
            f"target {d.target_frac:.0%}){order}; equity {d.equity_quote:,.2f}; {what}",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )


def register(app: typer.Typer) -> None:
    app.command("live-step")(live_step)
    app.command("paper-run")(paper_run)

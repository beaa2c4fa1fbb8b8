"""Model subcommands: ``train``, ``backtest``, ``promote`` and ``compare``.

Each sets the MLflow tracking URI from the settings first (``MLFLOW_TRACKING_URI``, default a SQLite
file in ``HURACAN_HOME``). Exit codes: 0 done (also when the gate rejects a challenger: the gate
worked), 1 a Huracan error (e.g. the series failed validation, no model), 2 bad usage.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from huracan.cli.common import (
    console,
    err_console,
    instant_option,
    range_options,
    reported_errors,
    symbol_option,
    timeframe_option,
)
from huracan.cli.compare_view import version_tables
from huracan.cli.formats import format_metric
from huracan.clock import format_ms
from huracan.config import get_settings

if TYPE_CHECKING:
    from huracan.config import Settings
    from huracan.trading.backtest import BacktestResult
    from huracan.trading.execution_policy import ExecutionPolicy

SYMBOL = typer.Option(..., "--symbol", "-s", callback=symbol_option, help="Unified symbol, e.g. BTC/USDT.")
TIMEFRAME = typer.Option(..., "--timeframe", "-t", help="Candle timeframe: 1m, 5m, 15m, 1h, 4h, 1d, ...")


def train(
    symbol: str = SYMBOL,
    timeframe: str = TIMEFRAME,
    timesteps: int | None = typer.Option(None, min=1, help="Environment steps per seed (default 200,000)."),
    seeds: list[int] = typer.Option(
        [0], "--seed", help="Seed; repeat to train one model per seed (their ensemble is registered)."
    ),
    start: str | None = typer.Option(
        None, help="First candle of the range (YYYY-MM-DD or ISO-8601, UTC); default the first stored."
    ),
    end: str | None = typer.Option(None, help="Last candle of the range, included; default the last stored."),
) -> None:
    """Train PPO on a validated series (walk-forward split) and register the ensemble of the seeds (or the one
    seed's model) as challenger."""
    from dataclasses import replace

    from huracan.registry.training import train_series
    from huracan.rl.train import TrainConfig

    tf = timeframe_option(timeframe)
    start_ms, end_ms = range_options(start, end, ("--start", "--end"))
    if len(set(seeds)) != len(seeds):
        raise typer.BadParameter(f"seeds must be distinct, got {seeds}", param_hint="--seed")
    with reported_errors():
        config = TrainConfig() if timesteps is None else replace(TrainConfig(), timesteps=timesteps)
        result = train_series(get_settings(), symbol, tf, seeds, start_ms, end_ms, config)
    split = result.split
    console.print(
        f"trained {symbol} {tf} on {result.data.rows:,} candles {format_ms(result.data.first_ms)} .. "
        f"{format_ms(result.data.last_ms)} (sha256 {result.data.sha256[:12]}) in {result.elapsed_s:.1f} s"
    )
    windows = Table(title="Walk-forward split (decision times, UTC)", title_justify="left")
    for column in ("window", "from", "to (excluded)", "decisions"):
        windows.add_column(column, justify="right" if column == "decisions" else "left")
    for window in split.windows:
        windows.add_row(window.name, format_ms(window.start_ms), format_ms(window.end_ms), f"{window.n_decisions:,}")
    console.print(windows)
    metric = config.selection_metric
    seeds_table = Table(title=f"Seeds (validation {metric})", title_justify="left")
    for column in ("seed", f"validation {metric}", "validation return", "checkpoint (timesteps)", "run", ""):
        seeds_table.add_column(column)
    registered = result.registered
    for outcome in result.seeds:
        chosen = "[green]registered[/green]" if not registered.is_ensemble else "[green]member[/green]"
        seeds_table.add_row(
            str(outcome.seed),
            format_metric(metric, outcome.validation_score),
            format_metric("total_return", outcome.validation_metrics.get("total_return")),
            f"{outcome.best_timesteps:,}",
            str(outcome.run_id),
            chosen,
        )
    console.print(seeds_table)
    console.print(
        f"registered model: {registered.label}, validation {metric} "
        f"{format_metric(metric, registered.validation_score)} (run {registered.run_id})"
    )
    if result.reused:
        console.print(
            f"no new version: the model is identical to [bold]{result.model_name}[/bold] version {result.version} "
            "(same weights, candles and test window)"
        )
    else:
        console.print(
            f"registered [bold]{result.model_name}[/bold] version {result.version} as [bold]challenger[/bold] "
            f"(models:/{result.model_name}@challenger)"
        )
    console.print(f"next: huracan backtest -s {symbol} -t {tf}  then  huracan promote -s {symbol} -t {tf}")


def backtest(
    symbol: str = SYMBOL,
    timeframe: str = TIMEFRAME,
    model: str | None = typer.Option(
        None,
        help="Model: an alias (champion), a version (3) or a models:/ or runs:/ URI. "
        "Default: the challenger, else the champion.",
    ),
    baseline: str | None = typer.Option(
        None, help="Backtest this baseline instead of a model: buy_and_hold, flat, sma_crossover, random."
    ),
    start: str | None = typer.Option(None, help="Window start (decision times, UTC); default the model's test window."),
    end: str | None = typer.Option(None, help="Window end, excluded; default the model's test window end."),
    as_json: bool = typer.Option(False, "--json", help='Print {"model": {...}, "baselines": {...}} as JSON.'),
    log_to_mlflow: bool = typer.Option(
        True, "--log/--no-log", help="Log metrics and the plot to the model's MLflow run."
    ),
    execution: str | None = typer.Option(
        None,
        help="Also replay the decisions with this execution policy and show it beside taker: maker_first "
        "(post-only at the best bid/ask). Default: HURACAN_EXECUTION (taker).",
    ),
    max_reprices: int | None = typer.Option(
        None, min=0, help="maker_first: re-prices before the fallback (default HURACAN_EXECUTION_MAX_REPRICES, 2)."
    ),
    fallback: str | None = typer.Option(
        None, help="maker_first: take (market order) or skip after the last re-price (default take)."
    ),
    record_trades: bool = typer.Option(
        False,
        "--record-trades",
        help="Store the subject's round trips in the trade memory (source backtest); their win/loss analysis "
        "is logged to the model's run either way.",
    ),
) -> None:
    """Replay a model on its out-of-sample test window (or a given one) against the baselines, costs on."""
    from huracan.registry.evaluation import evaluate, log_evaluation, trades_of_backtest, write_plot
    from huracan.registry.tracking import configure_tracking

    tf = timeframe_option(timeframe)
    start_ms, end_ms = instant_option(start, "--start"), instant_option(end, "--end")
    with reported_errors():
        settings = get_settings()
        policy = execution_option(settings, execution, max_reprices, fallback)
        client = None if baseline is not None else configure_tracking(settings)
        evaluation = evaluate(settings, client, symbol, tf, model, baseline, start_ms, end_ms, policy)
        plot = write_plot(settings, evaluation)
        if client is not None and log_to_mlflow:
            log_evaluation(client, evaluation, plot)
        trips = trades_of_backtest(settings, client if log_to_mlflow else None, evaluation, record_trades)
    for warning in evaluation.warnings:
        err_console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False, soft_wrap=True)
    if as_json:
        typer.echo(json.dumps(evaluation.as_json(), indent=2))
        return
    subject = evaluation.model.label if evaluation.model is not None else evaluation.subject.name
    table = Table(
        title=f"{evaluation.key} - {subject} - {format_ms(evaluation.start_ms)} .. {format_ms(evaluation.end_ms)} "
        f"({evaluation.window_name} window, {evaluation.end_row - evaluation.start_row:,} decisions)",
        title_justify="left",
    )
    others = [name for name, result in evaluation.baselines.items() if result is not evaluation.subject]
    table.add_column("metric")
    table.add_column(evaluation.subject.name, justify="right", style="bold")
    for name in others:
        table.add_column(name, justify="right")
    for key, value in evaluation.subject.metrics.items():
        table.add_row(
            key,
            format_metric(key, value),
            *(format_metric(key, evaluation.baselines[name].metrics[key]) for name in others),
        )
    console.print(table)
    if evaluation.execution is not None:
        console.print(execution_table(evaluation.subject, evaluation.execution, policy.describe()))
    console.print(f"plot: {plot}")
    if record_trades:
        console.print(f"recorded {len(trips)} round trip(s) in the trade memory (huracan trades analyze)")
    if client is not None and log_to_mlflow and evaluation.model is not None:
        console.print(f"logged to MLflow run {evaluation.model.run_id}")


def promote(
    symbol: str = SYMBOL,
    timeframe: str = TIMEFRAME,
    dry_run: bool = typer.Option(False, "--dry-run", help="Decide and print, change nothing."),
    rollback: bool = typer.Option(False, "--rollback", help="Restore the previous champion instead."),
) -> None:
    """Promote the challenger to champion if it beats the champion and buy & hold out of sample."""
    from huracan.health.alerts import alert_champion_change
    from huracan.live.shadow import gate_shadow
    from huracan.registry.naming import model_name
    from huracan.registry.promotion import promote as run_promote
    from huracan.registry.promotion import rollback as run_rollback
    from huracan.registry.tracking import configure_tracking

    tf = timeframe_option(timeframe)
    if rollback and dry_run:
        raise typer.BadParameter("--rollback cannot be combined with --dry-run", param_hint="--rollback")
    with reported_errors():
        settings = get_settings()
        client = configure_tracking(settings)
        if rollback:
            done = run_rollback(client, symbol, tf)
            restored, demoted = str(done.restored.version), str(done.demoted.version)
            alert_champion_change(settings, model_name(symbol, tf), restored, demoted, "rolled back by hand")
            console.print(
                f"champion rolled back: v{done.demoted.version} -> v{done.restored.version} ({done.restored.label})"
            )
            return
        shadow = gate_shadow(settings, model_name(symbol, tf), symbol, tf)
        outcome = run_promote(settings, client, symbol, tf, dry_run, shadow=shadow)
        if outcome.applied and outcome.decision.promote:
            previous = None if outcome.champion is None else str(outcome.champion.version)
            name = model_name(symbol, tf)
            alert_champion_change(settings, name, str(outcome.challenger.version), previous, outcome.decision.reason)
    evidence = outcome.evidence
    table = Table(
        title=f"Promotion gate: {outcome.challenger.label} vs "
        f"{outcome.champion.label if outcome.champion else 'no champion'} on "
        f"{format_ms(evidence.window_start_ms)} .. {format_ms(evidence.window_end_ms)}",
        title_justify="left",
    )
    table.add_column("check")
    table.add_column("result")
    table.add_column("numbers")
    for check in outcome.decision.checks:
        table.add_row(check.name, "[green]pass[/green]" if check.passed else "[red]fail[/red]", check.detail)
    console.print(table)
    for note in outcome.notes:
        err_console.print(f"[yellow]note:[/yellow] {note}", highlight=False, soft_wrap=True)
    color = "green" if outcome.decision.promote else "red"
    console.print(f"[{color}]{outcome.decision.reason}[/{color}]", highlight=False, soft_wrap=True)
    if dry_run:
        console.print("dry run: nothing changed")
    elif outcome.decision.promote:
        console.print(f"{outcome.challenger.name} v{outcome.challenger.version} is now the champion")
    else:
        console.print(f"v{outcome.challenger.version} stays challenger and will not trade")


def compare(
    symbol: str = SYMBOL,
    timeframe: str = TIMEFRAME,
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON."),
) -> None:
    """Table of the registered versions: aliases, validation, test-window backtest and baselines."""
    from huracan.live.shadow import shadow_records
    from huracan.registry.compare import compare_versions
    from huracan.registry.naming import model_name
    from huracan.registry.tracking import configure_tracking

    tf = timeframe_option(timeframe)
    with reported_errors():
        settings = get_settings()
        client = configure_tracking(settings)
        rows = compare_versions(client, symbol, tf)
        records = shadow_records(settings, model_name(symbol, tf), [row.version for row in rows], symbol, tf)
        rows = [replace(row, shadow=records[row.version].as_json()) if row.version in records else row for row in rows]
    if as_json:
        typer.echo(json.dumps([row.as_json() for row in rows], indent=2))
        return
    for table in version_tables(rows, symbol, tf):
        console.print(table)
        console.print()
    if any(not row.backtest for row in rows):
        console.print(
            f"versions without numbers have not been backtested: huracan backtest -s {symbol} -t {tf} --model <version>"
        )


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command()(backtest)
    app.command()(promote)
    app.command()(compare)


def execution_option(
    settings: Settings, execution: str | None, max_reprices: int | None, fallback: str | None
) -> ExecutionPolicy:
    """The policy of ``--execution/--max-reprices/--fallback`` over the settings' defaults; a bad value
    exits 2 naming the option."""
    from huracan.trading.execution_policy import ExecutionPolicy

    base = ExecutionPolicy.from_settings(settings)
    try:
        return ExecutionPolicy(
            base.kind if execution is None else execution,  # type: ignore[arg-type]
            base.max_reprices if max_reprices is None else max_reprices,
            base.fallback if fallback is None else fallback,  # type: ignore[arg-type]
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--execution/--fallback") from exc


def execution_table(taker: BacktestResult, other: BacktestResult, described: str) -> Table:
    """The same decisions executed as taker and under another policy, side by side."""
    table = Table(title=f"execution: taker vs {described}", title_justify="left")
    table.add_column("")
    table.add_column("taker", justify="right")
    table.add_column(described.split(" ")[0], justify="right", style="bold")
    for key in ("costs_quote", "total_return", "sharpe", "max_drawdown"):
        table.add_row(key, format_metric(key, taker.metrics[key]), format_metric(key, other.metrics[key]))
    t, o = taker.fills, other.fills
    if t is not None and o is not None:
        table.add_row("orders", f"{t.orders:,}", f"{o.orders:,}")
        table.add_row("maker fills", f"{t.maker_fills:,}", f"{o.maker_fills:,}")
        table.add_row("taker fills", f"{t.taker_fills:,}", f"{o.taker_fills:,}")
        table.add_row(
            "missed orders (skipped, replaced)", f"{t.missed:,}", f"{o.missed:,} ({o.skipped:,}, {o.replaced:,})"
        )
        table.add_row("maker fees saved vs taking", "-", format_metric("costs_quote", o.maker_fees_saved_quote))
    return table

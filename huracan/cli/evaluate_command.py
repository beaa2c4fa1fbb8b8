"""``huracan evaluate``: train the default pipeline on several pairs and score it out of sample against the
baselines and the target (:mod:`huracan.registry.scorecard`).

MLflow runs, reports and (with ``--csv-dir``) the imported candles go to a throwaway home that is deleted
afterwards, unless ``--home`` names one to keep. Exit codes: 0 done (whether or not the target is met),
1 a Huracan error (a missing CSV, an unknown symbol, candles failing the quality gate), 2 bad usage.
"""

from __future__ import annotations

import json
import tempfile
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from huracan.cli.common import console, reported_errors, symbols_option, timeframe_option
from huracan.cli.formats import format_metric
from huracan.clock import format_ms
from huracan.config import get_settings

if TYPE_CHECKING:
    from huracan.registry.scorecard import Scorecard

_LABELS = {"buy_and_hold": "buy & hold", "sma_crossover": "SMA crossover", "random": "random"}


def evaluate(
    symbols: list[str] = typer.Option(
        ..., "--symbol", "-s", callback=symbols_option, help="Unified symbol, e.g. BTC/USDT; repeat for more pairs."
    ),
    timeframe: str = typer.Option(..., "--timeframe", "-t", help="Candle timeframe: 1m, 5m, 15m, 1h, 4h, 1d, ..."),
    csv_dir: Path | None = typer.Option(
        None,
        "--csv-dir",
        help="Folder of CSV files (<exchange>_<BASE>-<QUOTE>_<tf>.csv, as ../shared/data); default: the store.",
    ),
    seeds: int = typer.Option(
        6,
        "--seeds",
        min=1,
        max=20,
        help="Seeds per pair (0 .. N-1; their ensemble is registered), as the DAG's default.",
    ),
    timesteps: int | None = typer.Option(
        None, min=1, help="Environment steps per seed (default: the default training budget, 200,000)."
    ),
    variance_penalty: float | None = typer.Option(
        None,
        "--variance-penalty",
        min=0.0,
        help="The training reward's risk aversion k (log return minus k x its square); default: the training "
        "default (TrainConfig.variance_penalty); 0: the plain log return. To measure a variant against the default.",
    ),
    home: Path | None = typer.Option(
        None, "--home", help="Keep MLflow runs, reports and imported candles in this folder (default: throwaway)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the scorecard as JSON."),
) -> None:
    """Train the default pipeline on each pair and print its test-window numbers beside the baselines,
    the spread over seeds, and how many pairs meet the target."""
    from huracan.data.db import dispose_engines
    from huracan.numerics import numerics_label
    from huracan.registry.scorecard import isolated_settings, run_scorecard
    from huracan.rl.train import TrainConfig

    tf = timeframe_option(timeframe)
    if len(set(symbols)) != len(symbols):
        raise typer.BadParameter(f"symbols must be distinct, got {symbols}", param_hint="--symbol")
    config = TrainConfig()
    if timesteps is not None:
        config = replace(config, timesteps=timesteps)
    if variance_penalty is not None:
        config = replace(config, variance_penalty=variance_penalty)
    with reported_errors(), ExitStack() as stack:
        folder = home or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="huracan-evaluate-")))
        stack.callback(dispose_engines)  # before the folder goes
        settings = isolated_settings(get_settings(), folder, own_store=csv_dir is not None)
        scorecard = run_scorecard(settings, symbols, tf, list(range(seeds)), config, csv_dir)
    if as_json:
        typer.echo(json.dumps({**scorecard.as_json(), "numerics": numerics_label()}, indent=2))
        return
    console.print(pairs_table(scorecard))
    console.print(target_table(scorecard))
    kept = f"; MLflow runs in {scorecard.home}" if home is not None else ""
    console.print(
        f"{len(scorecard.pairs)} pairs x {len(scorecard.seeds)} seeds x {scorecard.timesteps:,} timesteps "
        f"(reward's variance penalty {config.variance_penalty:g}) in {scorecard.elapsed_s:.0f} s{kept}; "
        f"trained on {numerics_label()}",
        highlight=False,
    )


def _row(first: str, who: str, metrics: dict[str, float], seeds: str = "") -> list[str]:
    return [
        first,
        who,
        format_metric("sharpe", metrics["sharpe"]),
        format_metric("total_return", metrics["total_return"]),
        format_metric("max_drawdown", metrics["max_drawdown"]),
        format_metric("n_trades", metrics["n_trades"]),
        format_metric("costs_quote", metrics["costs_quote"]),
        seeds,
    ]


def pairs_table(scorecard: Scorecard) -> Table:
    """Per pair: the registered model (the ensemble of the seeds) and the baselines on the test window."""
    from huracan.registry.scorecard import COMPARED, spread

    table = Table(title=f"Test window, {scorecard.timeframe} (costs on)", title_justify="left")
    for column in ("pair", "", "Sharpe", "return", "max drawdown", "trades", "costs", "seeds: Sharpe min..max (sd)"):
        table.add_column(column, justify="left" if column in ("pair", "") else "right")
    for pair in scorecard.pairs:
        sharpes = pair.seed_values("sharpe")
        seeds = f"{min(sharpes):.2f}..{max(sharpes):.2f} ({spread(sharpes):.2f})"
        firsts = [pair.symbol, format_ms(pair.start_ms)[:10], f"..{format_ms(pair.end_ms)[:10]}", ""]
        table.add_row(*_row(firsts[0], "model", pair.model, seeds))
        for first, name in zip(firsts[1:], COMPARED, strict=True):
            table.add_row(*_row(first, _LABELS[name], pair.baselines[name]), end_section=name == COMPARED[-1])
    for i, who in enumerate(("model", *COMPARED)):
        label = _LABELS.get(who, who)
        table.add_row("median" if i == 0 else "", label, format_metric("sharpe", scorecard.median(who)), *[""] * 5)
    return table


def target_table(scorecard: Scorecard) -> Table:
    """The target's checks for the registered models: pairs meeting each, pairs needed, met or not."""
    table = Table(title="Target (issue 16), registered model", title_justify="left")
    for column in ("check", "pairs", "needed", ""):
        table.add_column(column, justify="left" if column == "check" else "right")
    for check in scorecard.target():
        mark = "[green]met[/green]" if check.met else "[red]not met[/red]"
        achieved = check.detail if check.name.startswith("median") else f"{check.achieved} {check.detail}"
        table.add_row(check.name, achieved, "" if check.name.startswith("median") else str(check.needed), mark)
    return table


def register(app: typer.Typer) -> None:
    app.command()(evaluate)

"""The human-readable summary of a training DAG run (what ``make run`` prints at the end).

Per symbol: candles downloaded and stored, the validation result, training, the out-of-sample backtest
of the model beside the baselines, the registered version with its aliases and the promotion decision.
Then the task timings and the next commands to look around. Everything comes from the run's task
results (:class:`~huracan.pipeline.run_record.RunRecord`); a failed validation is explained from the
quality gate's record of it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from huracan.clock import format_ms
from huracan.config import Settings
from huracan.pipeline.run_note import compose_note, shortfalls
from huracan.pipeline.run_record import RunRecord
from huracan.registry.links import mlflow_run_url

METRICS: tuple[tuple[str, str, str], ...] = (
    ("total_return", "total return", "{:+.1%}"),
    ("sharpe", "Sharpe (annual)", "{:.2f}"),
    ("max_drawdown", "max drawdown", "{:.1%}"),
    ("exposure", "exposure", "{:.0%}"),
    ("n_trades", "trades", "{:,.0f}"),
    ("costs_quote", "costs (quote)", "{:,.2f}"),
)
"""Backtest metrics shown: key, label, format."""

BASELINE_LABELS = {"buy_and_hold": "buy & hold", "flat": "flat", "sma_crossover": "SMA crossover", "random": "random"}
_STATE_STYLE = {"success": "green", "failed": "red", "upstream_failed": "yellow", "skipped": "dim"}


def _number(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return fmt.format(value)


def _day(ts_ms: int | None) -> str:
    return format_ms(ts_ms)[:10] if ts_ms is not None else "-"


def _state(state: str | None) -> Text:
    return Text(state or "not run", style=_STATE_STYLE.get(state or "", "dim"))


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} s" if value < 120 else f"{int(value // 60)} min {value % 60:02.0f} s"


def backtest_table(backtested: Mapping[str, Any]) -> Table:
    """The model's test-window metrics beside each baseline's (same window, same costs)."""
    window = backtested.get("window", {})
    table = Table(
        title=f"out of sample {window.get('start', '-')[:10]} .. {window.get('end', '-')[:10]} "
        f"({window.get('decisions', '-')} decisions, fees and slippage on)",
        title_justify="left",
        title_style="",
    )
    table.add_column("metric")
    table.add_column(f"model v{backtested.get('version', '?')}", justify="right", style="bold")
    baselines = backtested.get("baselines", {})
    for name in baselines:
        table.add_column(BASELINE_LABELS.get(name, name), justify="right")
    model = backtested.get("model", {})
    for key, label, fmt in METRICS:
        table.add_row(label, _number(model.get(key), fmt), *(_number(b.get(key), fmt) for b in baselines.values()))
    return table


def _quality_failure(settings: Settings | None, job: Mapping[str, Any]) -> str:
    """The latest recorded validation of the job's series, in words (why validate failed)."""
    if settings is None:
        return "see the task log"
    from huracan.data.candle_store import SeriesKey
    from huracan.quality import latest_validation

    record = latest_validation(settings, SeriesKey(job["exchange"], job["symbol"], job["timeframe"]))
    return record.describe() if record is not None else "no validation was recorded (see the task log)"


def symbol_panel(record: RunRecord, map_index: int, job: Mapping[str, Any], settings: Settings | None) -> Panel:
    """Everything one symbol's tasks did, as a panel."""
    tasks = {t.name: t for t in record.symbol_tasks(map_index)}
    rows = Table.grid(padding=(0, 2))
    rows.add_column(style="bold", no_wrap=True)
    rows.add_column(overflow="fold")
    parts: list[Any] = [rows]

    def result(name: str) -> Mapping[str, Any] | None:
        task = tasks.get(name)
        return task.result if task is not None and task.state == "success" and isinstance(task.result, dict) else None

    def not_done(name: str) -> Text:
        task = tasks.get(name)
        return Text.assemble(_state(task.state if task else None), f" (tries: {task.try_number})" if task else "")

    downloaded = result("download")
    if downloaded:
        rows.add_row(
            "Candles",
            f"{downloaded['rows']:,} stored, {_day(downloaded['first_ms'])} .. {_day(downloaded['last_ms'])}; "
            f"this run fetched {downloaded['fetched']:,} in {downloaded['requests']} request(s); "
            f"{downloaded['holes']:,} missing",
        )
    else:
        rows.add_row("Candles", not_done("download"))
    validated = result("validate")
    if validated:
        warnings = ", ".join(validated.get("warnings") or []) or "none"
        rows.add_row(
            "Validation",
            Text.assemble(
                ("passed", "green"),
                f": coverage {validated['coverage']:.2%} of {validated['rows']:,} candles; warnings: {warnings}",
            ),
        )
        if validated.get("data_docs") or validated.get("report_dir"):
            where = validated.get("data_docs") or validated["report_dir"]
            rows.add_row("", Text(f"report: {where}", style="dim"))
    elif tasks.get("validate") is not None and tasks["validate"].state == "failed":
        rows.add_row("Validation", Text.assemble(("FAILED", "bold red"), ": ", _quality_failure(settings, job)))
        rows.add_row("", Text("nothing was trained or registered for this symbol", style="yellow"))
    else:
        rows.add_row("Validation", not_done("validate"))
    trained = result("train")
    if trained:
        seeds = ", ".join(f"{s['seed']}: {s['validation_score']:.2f}" for s in trained["seeds"])
        rows.add_row(
            "Training",
            f"{len(trained['seeds'])} seed(s) x {job['timesteps']:,} timesteps in {trained['elapsed_s']:.0f} s; "
            f"validation {trained['validation_metric']} by seed {{{seeds}}}; {trained['registered']} "
            f"(validation {trained['validation_score']:.2f}) "
            + (
                f"identical to version {trained['version']} (same weights, candles, test window): none registered"
                if trained.get("reused")
                else "registered"
            ),
        )
    elif downloaded and validated:
        rows.add_row("Training", not_done("train"))
    backtested = result("backtest")
    if backtested:
        run = f"MLflow run {backtested['run_id']}"
        if settings is not None and backtested.get("experiment_id"):
            run = mlflow_run_url(settings.mlflow_ui_url, str(backtested["experiment_id"]), str(backtested["run_id"]))
        rows.add_row("Backtest", f"{run}; plot: {backtested['plot']}")
        parts.append(backtest_table(backtested))
        for warning in backtested.get("warnings") or []:
            parts.append(Text(f"warning: {warning}", style="yellow"))
    elif trained:
        rows.add_row("Backtest", not_done("backtest"))
    promoted = result("promote")
    registry = Table.grid(padding=(0, 2))
    registry.add_column(style="bold", no_wrap=True)
    registry.add_column(overflow="fold")
    if promoted:
        aliases = ", ".join(promoted["aliases"]) or "none"
        registry.add_row("Registered", f"{promoted['model_name']} version {promoted['version']}, alias: {aliases}")
        style = {"promoted": "green", "already champion": "green", "rejected": "yellow"}.get(promoted["decision"], "")
        registry.add_row(
            "Promotion", Text.assemble((promoted["decision"], f"bold {style}".strip()), f" — {promoted['reason']}")
        )
        if "rejected" in (promoted["decision"], promoted.get("verdict")):
            needs = shortfalls(
                promoted.get("checks") or [], promoted.get("evidence") or {}, promoted.get("thresholds") or {}
            )
            if needs:
                registry.add_row("Needed", Text("\n".join(needs), style="yellow"))
        if promoted.get("mlflow_url"):
            registry.add_row("MLflow", Text(str(promoted["mlflow_url"]), style="dim"))
        parts.append(registry)
    elif trained:
        registry.add_row("Registered", f"{trained['model_name']} version {trained['version']} (challenger)")
        registry.add_row("Promotion", not_done("promote"))
        parts.append(registry)
    title = f"{job['symbol']} {job['timeframe']} on {job['exchange']}"
    failed = any(t.state not in ("success", None) for t in tasks.values())
    return Panel(Group(*parts), title=title, title_align="left", border_style="red" if failed else "green")


def run_note(record: RunRecord) -> str:
    """The run's note from its promote tasks' lines (one per symbol that reached the gate); "" without any."""
    lines = [
        str(task.result["note"])
        for task in record.tasks
        if task.name == "promote" and isinstance(task.result, dict) and task.result.get("note")
    ]
    return compose_note(lines) if lines else ""


def tasks_table(record: RunRecord) -> Table:
    """Each task instance: symbol, state, attempts and duration."""
    table = Table(title="Tasks", title_justify="left")
    for column in ("task", "symbol", "state", "tries", "time"):
        table.add_column(column, justify="right" if column in ("tries", "time") else "left")
    for task in record.tasks:
        table.add_row(
            task.task_id, task.label or "", _state(task.state), str(task.try_number), _seconds(task.duration_s)
        )
    return table


def render(
    console: Console,
    record: RunRecord,
    settings: Settings | None = None,
    extra: Sequence[tuple[str, str]] = (),
    next_steps: Sequence[tuple[str, str]] = (),
) -> None:
    """Print the summary of ``record``.

    :param settings: used to explain a failed validation from its record (None: point to the log).
    :param extra: (label, text) lines printed under the heading (where things are, the exchange used).
    :param next_steps: (command, what it does) printed last.
    """
    ok = record.state == "success"
    console.rule(
        Text.assemble(
            (f"{record.dag_id}: ", "bold"),
            ("succeeded" if ok else (record.state or "unknown"), "bold green" if ok else "bold red"),
        )
    )
    info = Table.grid(padding=(0, 2))
    info.add_column(style="bold", no_wrap=True)
    info.add_column(overflow="fold")
    info.add_row("DAG run", f"{record.run_id} ({_seconds(record.duration_s)})")
    for label, text in extra:
        info.add_row(label, text)
    console.print(info)
    jobs = record.jobs()
    if not jobs:
        plan = record.task("plan")
        console.print(
            Text.assemble("plan ", _state(plan.state if plan else None), ": no symbol was planned; see the log")
        )
    for index, job in enumerate(jobs):
        console.print(symbol_panel(record, index, job, settings))
    console.print(tasks_table(record))
    if next_steps:
        console.rule("Next", align="left")
        for command, what in next_steps:
            console.print(Text.assemble((command, "bold cyan"), "\n    ", (what, "")), soft_wrap=False)

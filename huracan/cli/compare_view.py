"""``huracan compare`` as two narrow tables that fit an 80-column terminal.

Fifteen columns in one table do not fit 80 (or 120) columns: rich shrinks them to blanks and ellipses.
So the versions are shown twice, keyed by version: what each version *is* (aliases, seed, validation
score, test window, last gate decision) and how it *did* on its test window beside the baselines and
on paper. Headers are stacked on lines; cells never wrap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.table import Table

from huracan.cli.formats import format_metric
from huracan.clock import format_ms

if TYPE_CHECKING:
    from huracan.registry.compare import VersionRow
    from huracan.timeframes import Timeframe


def _day(ts_ms: int | None) -> str:
    return "-" if ts_ms is None else format_ms(ts_ms)[:10]


def _table(title: str, columns: tuple[str, ...], left: tuple[str, ...]) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, padding=0)
    for column in columns:
        table.add_column(column, justify="left" if column in left else "right", no_wrap=True)
    return table


def version_tables(rows: list[VersionRow], symbol: str, timeframe: Timeframe) -> list[Table]:
    """The ``versions`` and ``test window`` tables of ``rows`` (newest first)."""
    metric = next((row.validation_metric for row in rows if row.validation_metric), "sharpe")
    what = _table(
        f"{symbol} {timeframe}: registered versions",
        ("version", "aliases", "seed", f"val\n{metric}", "test window (UTC)", "gate"),
        ("version", "aliases", "test window (UTC)", "gate"),
    )
    how = _table(
        "test-window backtests (fees and slippage on) and paper record",
        (
            "version",
            "sharpe",
            "return",
            "max\ndd",
            "trades",
            "B&H\nsharpe",
            "B&H\nreturn",
            "SMA\nsharpe",
            "random\nsharpe",
            "shadow\nsharpe\n(ticks)",
        ),
        ("version",),
    )
    for row in rows:
        window = f"{_day(row.test_start_ms)}..{_day(row.test_end_ms)}" if row.test_start_ms else "-"
        what.add_row(
            row.version,
            ", ".join(row.aliases) or "-",
            row.seed or "-",
            format_metric(metric, row.validation_score),
            window,
            row.gate.get("decision", "-"),
        )
        bh, sma, rnd = (row.baselines.get(name, {}) for name in ("buy_and_hold", "sma_crossover", "random"))
        how.add_row(
            row.version,
            format_metric("sharpe", row.backtest.get("sharpe")),
            format_metric("total_return", row.backtest.get("total_return")),
            format_metric("max_drawdown", row.backtest.get("max_drawdown")),
            format_metric("n_trades", row.backtest.get("n_trades")),
            format_metric("sharpe", bh.get("sharpe")),
            format_metric("total_return", bh.get("total_return")),
            format_metric("sharpe", sma.get("sharpe")),
            format_metric("sharpe", rnd.get("sharpe")),
            f"{row.shadow['sharpe']:.2f} ({row.shadow['ticks']})" if row.shadow else "-",
        )
    return [what, how]

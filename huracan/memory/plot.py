"""The win/loss picture of a set of round trips: each trip's profit and the cumulative profit in time order
(top), and the expectancy by market regime and by holding time (bottom)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from huracan.memory.round_trips import RoundTrip
from huracan.timeframes import Timeframe

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def analysis_rows(analysis: dict[str, Any]) -> dict[str, list[Any]]:
    """The grouped numbers of :func:`huracan.memory.analysis.analyze` as table columns: one row for the
    whole set (section ``overall``) and one per regime, holding-time bucket and model version."""
    rows: list[tuple[str, str, dict[str, Any]]] = [("overall", "all", analysis["overall"])]
    for section in ("by_regime", "by_holding_time", "by_model_version"):
        rows += [(section, label, numbers) for label, numbers in analysis[section].items()]
    keys = list(analysis["overall"])
    columns: dict[str, list[Any]] = {"section": [r[0] for r in rows], "group": [r[1] for r in rows]}
    columns.update({key: [numbers[key] for _, _, numbers in rows] for key in keys})
    return columns


def plot_analysis(trips: Sequence[RoundTrip], analysis: dict[str, Any], title: str) -> Figure:
    """A matplotlib figure (Agg backend, no display) of ``trips`` and their ``analysis``; profits in quote."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 7), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    top = figure.add_subplot(2, 1, 1)
    regime, holding = figure.add_subplot(2, 2, 3), figure.add_subplot(2, 2, 4)
    profits = np.array([t.profit_quote for t in trips], dtype=float)
    times = np.array([t.exit_ms for t in trips], dtype="datetime64[ms]")
    if len(trips):
        width = np.timedelta64(Timeframe.parse(trips[0].timeframe).ms, "ms")
        top.bar(times, profits, width=width, color=np.where(profits > 0, "tab:green", "tab:red"))
        twin = top.twinx()
        twin.plot(times, np.cumsum(profits), color="black", linewidth=1.2)
        twin.set_ylabel("cumulative profit (quote)")
    overall = analysis["overall"]
    win_rate = overall["win_rate"]
    top.set_title(
        f"{title}\n{overall['trades']} trades, win rate {'-' if win_rate is None else f'{win_rate:.0%}'}, "
        f"total {overall['total_profit_quote']:,.2f} quote"
    )
    top.set_ylabel("profit per trip (quote)")
    top.set_xlabel("exit time (UTC)")
    top.grid(alpha=0.3)
    for axes, section, name in ((regime, "by_regime", "regime"), (holding, "by_holding_time", "holding time")):
        groups = analysis[section]
        values = [groups[label]["expectancy_quote"] or 0.0 for label in groups]
        axes.barh(list(groups), values, color=["tab:green" if v > 0 else "tab:red" for v in values])
        for y, label in enumerate(groups):
            axes.annotate(f" {groups[label]['trades']} trades", (0, y), va="center", fontsize="small")
        axes.set_xlabel("expectancy (quote per trade)")
        axes.set_title(f"by {name}")
        axes.grid(alpha=0.3, axis="x")
    return figure

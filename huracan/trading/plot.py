"""The backtest picture: equity curves of the model and its baselines over the window, and their drawdowns."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from huracan.trading.backtest import BacktestResult
from huracan.trading.metrics import drawdown_curve


def plot_equity(results: Sequence[BacktestResult], path: Path, title: str) -> Path:
    """Write a PNG with two panels sharing the time axis (UTC): equity in quote currency (top) and drawdown
    from the running peak in percent (bottom), one line per result, labelled with its name and total
    return. The first result (the model, by convention) is drawn thicker, on top. A replay that ruin
    stopped (equity at or below the config's ``ruin_equity_frac`` of the initial, as the env's episode
    ends) ends in an X, and its legend says where and why.

    :param results: what to draw, at least one; usually the model then the baselines of one window.
    :param path: the PNG to write; its folder is created if missing.
    :param title: the figure title (e.g. the series and the model version).
    :return: ``path``.
    """
    if not results:
        raise ValueError("nothing to plot: pass at least one BacktestResult")
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # the Agg backend, no display needed
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 7), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    for i, result in enumerate(results):
        times = np.asarray(result.times_ms, dtype="datetime64[ms]")
        width, z = (2.0, 3) if i == 0 else (1.0, 2)
        (line,) = top.plot(times, result.equity_quote, label=line_label(result), linewidth=width, zorder=z)
        if result.ruined:
            top.plot(times[-1:], result.equity_quote[-1:], marker="X", markersize=9, color=line.get_color(), zorder=z)
        bottom.plot(times, -100.0 * drawdown_curve(result.equity_quote), linewidth=width, zorder=z)
    top.set_title(title)
    top.set_ylabel("equity (quote)")
    top.legend(loc="upper left", fontsize="small")
    top.grid(alpha=0.3)
    bottom.set_ylabel("drawdown (%)")
    bottom.set_xlabel("time (UTC)")
    bottom.grid(alpha=0.3)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path


def line_label(result: BacktestResult) -> str:
    """The legend entry: name and total return, and for a replay that ruin stopped, where and why it ends."""
    label = f"{result.name} ({result.metrics.get('total_return', float('nan')):+.1%})"
    if result.ruined:
        day = np.datetime_as_string(np.datetime64(int(result.times_ms[-1]), "ms"), unit="D")
        label += f", stopped {day}: equity at the ruin level (X)"
    return label

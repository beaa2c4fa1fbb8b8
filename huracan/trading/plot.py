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
    return. The first result (the model, by convention) is drawn thicker, on top.

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
        label = f"{result.name} ({result.metrics.get('total_return', float('nan')):+.1%})"
        width, z = (2.0, 3) if i == 0 else (1.0, 2)
        top.plot(times, result.equity_quote, label=label, linewidth=width, zorder=z)
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

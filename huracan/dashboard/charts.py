"""Charts drawn on the server as PNG bytes (matplotlib's Agg backend: no display, no browser script)."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import UTC, datetime

from huracan.registry.compare import VersionRow


def metrics_chart(row: VersionRow, title: str) -> bytes:
    """A PNG with two bar panels for the test window: the Sharpe ratio (annualised) and the total return
    (percent) of the version beside each baseline logged with it. Missing or NaN values are drawn as
    empty bars, labelled ``n/a``; a version never backtested gives one panel saying so."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = [f"v{row.version}", *row.baselines]
    values = {
        "Sharpe (annualised)": [row.backtest.get("sharpe"), *(b.get("sharpe") for b in row.baselines.values())],
        "total return (%)": [
            _percent(row.backtest.get("total_return")),
            *(_percent(b.get("total_return")) for b in row.baselines.values()),
        ],
    }
    figure = Figure(figsize=(8, 3), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(title)
    if not row.backtest:
        axes = figure.add_subplot()
        axes.set_axis_off()
        axes.text(0.5, 0.5, "not backtested yet: run `huracan backtest`", ha="center", va="center")
    else:
        for index, (label, numbers) in enumerate(values.items(), start=1):
            axes = figure.add_subplot(1, 2, index)
            heights = [0.0 if _missing(v) else float(v) for v in numbers]  # type: ignore[arg-type]
            colours = ["tab:blue", *["tab:gray"] * (len(names) - 1)]
            bars = axes.bar(names, heights, color=colours)
            for bar, number in zip(bars, numbers, strict=True):
                text = "n/a" if _missing(number) else f"{number:.2f}"
                axes.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", fontsize=8)
            axes.set_title(label)
            axes.axhline(0.0, color="black", linewidth=0.6)
            axes.tick_params(axis="x", labelrotation=30, labelsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _percent(fraction: float | None) -> float | None:
    return None if fraction is None else fraction * 100.0


def _missing(value: float | None) -> bool:
    return value is None or math.isnan(value)


def paper_chart(times_ms: Sequence[int], equity_quote: Sequence[float], title: str, currency: str) -> bytes:
    """A PNG of a paper account's equity (quote currency) at each decision over time (UTC), and below it the
    drawdown from the running peak (percent); one panel saying so when there is no decision yet."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(title)
    if not equity_quote:
        axes = figure.add_subplot()
        axes.set_axis_off()
        axes.text(0.5, 0.5, "not traded on paper yet: the live tick records its decisions", ha="center", va="center")
    else:
        when = [datetime.fromtimestamp(ms / 1000, tz=UTC) for ms in times_ms]
        peaks = [max(equity_quote[: i + 1]) for i in range(len(equity_quote))]
        drawdown = [
            (value / peak - 1.0) * 100.0 if peak > 0 else 0.0 for value, peak in zip(equity_quote, peaks, strict=True)
        ]
        top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(2, 1))
        top.plot(when, equity_quote, color="tab:blue", marker="." if len(when) < 50 else None)
        top.set_ylabel(f"equity ({currency})")
        bottom.fill_between(when, drawdown, 0.0, color="tab:red", alpha=0.4)
        bottom.set_ylabel("drawdown (%)")
        bottom.tick_params(axis="x", labelrotation=30, labelsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()

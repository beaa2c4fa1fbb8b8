"""How the command line shows a metric to people (percentages, counts, quote amounts)."""

from __future__ import annotations

import math

_METRIC_FORMATS = {
    "total_return": "{:+.2%}",
    "annual_return": "{:+.2%}",
    "max_drawdown": "{:.2%}",
    "win_rate": "{:.1%}",
    "exposure": "{:.1%}",
    "n_trades": "{:,.0f}",
    "avg_trade_profit_quote": "{:,.2f}",
    "costs_quote": "{:,.2f}",
}


def format_metric(key: str, value: float | None) -> str:
    """A metric for people: percentages, counts and quote amounts by :data:`_METRIC_FORMATS`, ``-`` for none."""
    if value is None:
        return "-"
    if isinstance(value, float) and not math.isfinite(value):
        return "inf" if value > 0 else ("-inf" if value < 0 else "nan")
    return _METRIC_FORMATS.get(key, "{:.3f}").format(value)

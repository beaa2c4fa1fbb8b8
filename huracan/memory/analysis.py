"""Win/loss analysis of round trips: overall numbers, by market regime, holding time and model version,
and the biggest losers with what was unusual at entry.

Profit in quote currency; fractions as fractions; a regime is the entry's trend (``dist_sma_96`` > 0: up)
and volatility (``rv_96`` above the median of all entries: high) from the stored entry observation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from huracan.features.catalog import MARKET_FEATURE_NAMES
from huracan.features.observation import POSITION_FEATURE_NAMES
from huracan.memory.round_trips import RoundTrip

FEATURE_NAMES: tuple[str, ...] = MARKET_FEATURE_NAMES + POSITION_FEATURE_NAMES
TREND_FEATURE = "dist_sma_96"
VOLATILITY_FEATURE = "rv_96"
#: Holding-time buckets, upper bounds in ms (1 h, 4 h, 1 day, longer).
HOLDING_BUCKETS_MS: tuple[tuple[str, int], ...] = (
    ("<=1h", 3_600_000),
    ("<=4h", 14_400_000),
    ("<=1d", 86_400_000),
    (">1d", 2**62),
)


def summary(trips: Sequence[RoundTrip]) -> dict[str, float | int | None]:
    """Count, win rate (fraction), profit factor (gross win / gross loss, quote; None without losses),
    expectancy (mean profit per trade, quote), average win and loss (quote), total profit (quote)."""
    profits = np.array([t.profit_quote for t in trips], dtype=float)
    wins, losses = profits[profits > 0], profits[profits <= 0]
    gross_loss = float(-losses.sum())
    return {
        "trades": len(profits),
        "win_rate": float(len(wins) / len(profits)) if len(profits) else None,
        "profit_factor": float(wins.sum()) / gross_loss if gross_loss > 0 else None,
        "expectancy_quote": float(profits.mean()) if len(profits) else None,
        "avg_win_quote": float(wins.mean()) if len(wins) else None,
        "avg_loss_quote": float(losses.mean()) if len(losses) else None,
        "total_profit_quote": float(profits.sum()),
    }


def _grouped(trips: Sequence[RoundTrip], key: Callable[[RoundTrip], str | None]) -> dict[str, Any]:
    groups: dict[str, list[RoundTrip]] = {}
    for trip in trips:
        label = key(trip)
        if label is not None:
            groups.setdefault(label, []).append(trip)
    return {label: summary(group) for label, group in sorted(groups.items())}


def holding_bucket(holding_ms: int) -> str:
    """The label of the holding-time bucket of ``holding_ms``."""
    return next(label for label, bound in HOLDING_BUCKETS_MS if holding_ms <= bound)


def _feature(trip: RoundTrip, name: str) -> float | None:
    if trip.entry_obs is None or len(trip.entry_obs) != len(FEATURE_NAMES):
        return None
    return float(trip.entry_obs[FEATURE_NAMES.index(name)])


def regime_labeller(trips: Sequence[RoundTrip]) -> Callable[[RoundTrip], str | None]:
    """A function giving a trip's regime (``trend up|down / vol high|low``); None without an observation."""
    vols = [v for t in trips if (v := _feature(t, VOLATILITY_FEATURE)) is not None]
    median = float(np.median(vols)) if vols else 0.0

    def label(trip: RoundTrip) -> str | None:
        trend, vol = _feature(trip, TREND_FEATURE), _feature(trip, VOLATILITY_FEATURE)
        if trend is None or vol is None:
            return None
        return f"trend {'up' if trend > 0 else 'down'} / vol {'high' if vol > median else 'low'}"

    return label


def unusual_at_entry(trips: Sequence[RoundTrip], trip: RoundTrip, top: int = 3) -> list[dict[str, float | str]]:
    """The ``top`` features of ``trip``'s entry with the largest |z| against all entries' observations."""
    obs = [t.entry_obs for t in trips if t.entry_obs is not None and len(t.entry_obs) == len(FEATURE_NAMES)]
    if trip.entry_obs is None or len(obs) < 2 or len(trip.entry_obs) != len(FEATURE_NAMES):
        return []
    matrix = np.vstack(obs).astype(float)
    std = matrix.std(axis=0)
    z = np.where(std > 0, (trip.entry_obs - matrix.mean(axis=0)) / np.where(std > 0, std, 1.0), 0.0)
    order = np.argsort(-np.abs(z), kind="stable")[:top]
    return [{"feature": FEATURE_NAMES[i], "value": float(trip.entry_obs[i]), "z": float(z[i])} for i in order]


def analyze(trips: Sequence[RoundTrip], losers: int = 3) -> dict[str, Any]:
    """The full analysis of ``trips`` as a JSON-able dict."""
    worst = sorted(trips, key=lambda t: t.profit_quote)[:losers]
    return {
        "overall": summary(trips),
        "by_regime": _grouped(trips, regime_labeller(trips)),
        "by_holding_time": _grouped(trips, lambda t: holding_bucket(t.holding_ms)),
        "by_model_version": _grouped(trips, lambda t: f"{t.model_name or '-'} v{t.model_version or '-'}"),
        "biggest_losers": [
            {
                "account": t.account,
                "entry_ms": t.entry_ms,
                "profit_quote": t.profit_quote,
                "profit_frac": t.profit_frac,
                "unusual_at_entry": unusual_at_entry(trips, t),
            }
            for t in worst
            if t.profit_quote < 0
        ],
    }

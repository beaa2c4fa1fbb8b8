"""Model watch: is the model live still the model that was backtested? Pure functions on hand-made inputs.

Three numbers, measured at every live tick for every account that decided (``huracan.live.monitor`` reads
the inputs and records them in the ``tick_health`` table):

- **action distance**: the total variation distance between the frequencies of the actions (exposure
  levels 0..5) of the account's recent live decisions and of the model's backtest on its test window:
  ``0.5 * sum |p_live - p_backtest|``, 0 (the same mix) .. 1 (no action in common);
- **feature drift**: the fraction of the observation's market features that lie outside their range
  (minimum and maximum) over the model's training window: 0 (all inside) .. 1;
- **slippage ratio**: realised over expected slippage of the account's recent taker fills, notional
  weighted: the realised one is how far each fill's price is from its reference price (against the
  order's side), the expected one what the cost model charges for it (half the spread plus the square-root
  impact of its size against the base volume of the last candle closed before it). 1 is as modelled.

Each is None when it cannot be measured (no backtest record, too few decisions, no taker fill).
:meth:`Watch.crossed` names the thresholds (``HURACAN_WATCH_*``) a measurement exceeds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from huracan.features.observation import N_POSITIONS
from huracan.trading.costs import BUY, SELL, CostModel

if TYPE_CHECKING:
    from huracan.config import Settings

ACTIONS = "actions"
FEATURES = "features"
SLIPPAGE = "slippage"
CHECKS: tuple[str, ...] = (ACTIONS, FEATURES, SLIPPAGE)
"""The watch's checks, by name (the drift alert names the one crossed)."""


def action_frequencies(actions: Iterable[int], n_actions: int = N_POSITIONS) -> np.ndarray:
    """The fraction of ``actions`` (integers in ``0 .. n_actions - 1``) taking each value; sums to 1.

    :raises ValueError: no action, or one outside the range.
    """
    values = np.asarray(list(actions), dtype=np.int64)
    if values.size == 0:
        raise ValueError("no action to count")
    if values.min() < 0 or values.max() >= n_actions:
        raise ValueError(f"actions must lie in 0..{n_actions - 1}, got {values.min()}..{values.max()}")
    return np.bincount(values, minlength=n_actions) / values.size


def total_variation(p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray) -> float:
    """Total variation distance of two distributions over the same outcomes: ``0.5 * sum |p - q|``, in 0..1.

    :raises ValueError: the lengths differ, or one is not a distribution (negative, or not summing to 1).
    """
    a, b = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"distributions of different shapes: {a.shape} and {b.shape}")
    for name, dist in (("p", a), ("q", b)):
        if (dist < 0).any() or not math.isclose(float(dist.sum()), 1.0, abs_tol=1e-9):
            raise ValueError(f"{name} is not a distribution (non-negative, summing to 1): {dist.tolist()}")
    return float(0.5 * np.abs(a - b).sum())


def drift_fraction(row: np.ndarray, low: np.ndarray, high: np.ndarray) -> float:
    """The fraction of the features of ``row`` outside ``[low, high]`` (per feature, bounds included); a
    NaN feature counts as outside.

    :raises ValueError: the three arrays have different lengths, or none.
    """
    x, lo, hi = (np.asarray(a, dtype=np.float64).ravel() for a in (row, low, high))
    if not (len(x) == len(lo) == len(hi)) or len(x) == 0:
        raise ValueError(f"a row of {len(x)} features against ranges of {len(lo)} and {len(hi)}")
    inside = (x >= lo) & (x <= hi)
    return float(np.count_nonzero(~inside) / len(x))


@dataclass(frozen=True)
class FillSlippage:
    """One taker fill's slippage: its notional (quote), the realised and the expected fraction of price."""

    notional_quote: float
    realised_frac: float
    expected_frac: float


def fill_slippage(
    costs: CostModel, side: int, qty_base: float, price_quote: float, reference_quote: float, volume_base: float
) -> FillSlippage:
    """The slippage of a taker fill of ``qty_base`` at ``price_quote`` against ``reference_quote`` (the
    price the cost model priced it from), ``side`` BUY (1) or SELL (-1): realised ``side * (price - ref) /
    ref``; expected half the spread plus :meth:`CostModel.slippage_frac` of the size against
    ``volume_base`` (base volume of the last candle closed before it)."""
    if side not in (BUY, SELL) or not reference_quote > 0:
        raise ValueError(f"need side BUY (1) or SELL (-1) and a positive reference, got {side}, {reference_quote}")
    return FillSlippage(
        notional_quote=qty_base * reference_quote,
        realised_frac=side * (price_quote - reference_quote) / reference_quote,
        expected_frac=costs.half_spread_frac + costs.slippage_frac(qty_base, volume_base),
    )


def slippage_ratio(fills: Iterable[FillSlippage]) -> float | None:
    """Notional-weighted realised over expected slippage of ``fills``; None when nothing was expected
    (no fill, or a cost model without spread and slippage)."""
    samples = list(fills)
    expected = sum(f.notional_quote * f.expected_frac for f in samples)
    if expected <= 0:
        return None
    return sum(f.notional_quote * f.realised_frac for f in samples) / expected


@dataclass(frozen=True)
class Thresholds:
    """When the watch alerts (0 switches a check off): total variation distance above ``action_max_tv``
    (0..1), a drift fraction above ``drift_max_frac`` (0..1), a slippage ratio above ``slippage_max_ratio``."""

    action_max_tv: float = 0.5
    drift_max_frac: float = 0.25
    slippage_max_ratio: float = 3.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        return cls(settings.watch_action_max_tv, settings.watch_drift_max_frac, settings.watch_slippage_max_ratio)


@dataclass(frozen=True)
class Watch:
    """One tick's watch of one account's model; None where not measured.

    :param live_decisions: how many recent live decisions of the model were compared.
    :param action_tv: their action distance from the backtest's, 0..1.
    :param drift_frac: the fraction of the observation's market features outside the training range, 0..1.
    :param fills: how many recent taker fills were compared.
    :param slippage_ratio: their realised over expected slippage.
    """

    live_decisions: int | None = None
    action_tv: float | None = None
    drift_frac: float | None = None
    fills: int | None = None
    slippage_ratio: float | None = None

    def crossed(self, thresholds: Thresholds) -> dict[str, str]:
        """The checks whose threshold this watch exceeds, each with a sentence giving the numbers."""
        out = {}
        if thresholds.action_max_tv and self.action_tv is not None and self.action_tv > thresholds.action_max_tv:
            out[ACTIONS] = (
                f"the actions of the last {self.live_decisions} live decisions are {self.action_tv:.2f} (total "
                f"variation) from the backtest's, above {thresholds.action_max_tv:g}"
            )
        if thresholds.drift_max_frac and self.drift_frac is not None and self.drift_frac > thresholds.drift_max_frac:
            out[FEATURES] = (
                f"{self.drift_frac:.0%} of the observation's market features lie outside their training range, "
                f"above {thresholds.drift_max_frac:.0%}"
            )
        ratio, limit = self.slippage_ratio, thresholds.slippage_max_ratio
        if limit and ratio is not None and ratio > limit:
            out[SLIPPAGE] = (
                f"the last {self.fills} taker fills slipped {ratio:.2f} times what the cost model expects, above {limit:g}"
            )
        return out

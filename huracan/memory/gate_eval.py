"""Walk-forward measurement of the similar-trades gate: would skipping entries whose nearest past trades
lost have improved a sequence of trades, out of sample?

The trades are taken in entry order. A trade's memory is every trade that closed strictly before it
opened (``exit_ms < entry_ms``): nothing later, not even the outcome of a trade that closes at the very
moment it opens, so no decision sees the future. The memory's index (:class:`TradeNeighbours`, its
standardisation included) is built from those trades only. While the memory holds fewer than
``min_past`` trades the gate cannot judge and the trade is taken. A skipped trade keeps its outcome in
the memory of later trades (its price path happened; only the position was not held).

Both variants are scored on the same trades: a taken trade earns its ``profit_frac`` (fraction of its
entry cost), a skipped one earns 0 (cash). ``total_return`` compounds the trades as if each put the
whole account in (a fraction); ``sharpe`` is the mean over the standard deviation of those per-trade
returns, annualised by the trades per year of the sequence (first entry to last exit). Skipping an entry
in a real replay would also change what the policy does next (it would be flat); this measurement holds
the rest of the sequence fixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from huracan.memory.round_trips import RoundTrip, TradeMemoryError
from huracan.memory.similar import TradeNeighbours, similar_trades_gate

YEAR_MS = 365.25 * 86_400_000


@dataclass(frozen=True)
class GateMeasurement:
    """The gate's walk-forward effect on one sequence of trades (entry order).

    :param taken: (n,) bool, the gate let the trade through.
    :param judged: (n,) bool, the memory held at least ``min_past`` trades, so the gate decided.
    :param profit_frac: (n,) each trade's profit, fraction of its entry cost.
    :param years: from the first entry to the last exit, years.
    """

    taken: np.ndarray
    judged: np.ndarray
    profit_frac: np.ndarray
    years: float

    @property
    def skipped(self) -> int:
        return int((~self.taken).sum())

    def metrics(self, gated: bool) -> dict[str, float]:
        """``trades`` (taken), ``total_return`` (fraction) and ``sharpe`` (annualised, per-trade returns)
        without the gate (``gated`` False: every trade) or with it."""
        returns = np.where(self.taken, self.profit_frac, 0.0) if gated else self.profit_frac
        std = float(returns.std())
        per_year = len(returns) / self.years if self.years > 0 else 0.0
        return {
            "trades": float(self.taken.sum() if gated else len(returns)),
            "total_return": float(np.prod(1.0 + returns) - 1.0),
            "sharpe": float(returns.mean() / std * np.sqrt(per_year)) if std > 0 else 0.0,
        }

    def as_json(self) -> dict[str, Any]:
        """Both variants' metrics, and how many trades were judged, skipped, and skipped while winning."""
        return {
            "trades": len(self.taken),
            "judged": int(self.judged.sum()),
            "skipped": self.skipped,
            "skipped_winners": int(((~self.taken) & (self.profit_frac > 0)).sum()),
            "without_gate": self.metrics(gated=False),
            "with_gate": self.metrics(gated=True),
        }


def walk_forward_gate(
    trips: Sequence[RoundTrip], k: int = 10, min_past: int | None = None, min_mean_profit_frac: float = 0.0
) -> GateMeasurement:
    """Run the gate (:func:`similar_trades_gate` over the ``k`` nearest past trades) over ``trips``.

    :param trips: one strategy's trades, each with an entry observation; any order (taken by entry time).
    :param min_past: trades the memory must hold before the gate judges (default ``k``, at least ``k``).
    :param min_mean_profit_frac: the gate's threshold on the neighbours' mean profit (fraction).
    :raises TradeMemoryError: a trip without an entry observation, or ``min_past < k``.
    """
    min_past = k if min_past is None else min_past
    if min_past < k:
        raise TradeMemoryError(f"min_past ({min_past}) must be at least k ({k})")
    ordered = sorted(trips, key=lambda t: (t.entry_ms, t.exit_ms))
    observed = [t.entry_obs for t in ordered if t.entry_obs is not None]
    if len(observed) < len(ordered):
        raise TradeMemoryError("every trade needs an entry observation for the gate's walk-forward measurement")
    n = len(ordered)
    entry = np.array([t.entry_ms for t in ordered], dtype=np.int64)
    exit_ = np.array([t.exit_ms for t in ordered], dtype=np.int64)
    profit = np.array([t.profit_frac for t in ordered], dtype=float)
    obs = np.vstack(observed).astype(np.float32) if n else np.zeros((0, 0), np.float32)
    by_exit = np.argsort(exit_, kind="stable")
    exits_sorted = exit_[by_exit]
    taken = np.ones(n, dtype=bool)
    judged = np.zeros(n, dtype=bool)
    for i in range(n):
        past = by_exit[: int(np.searchsorted(exits_sorted, entry[i], side="left"))]  # exit_ms < entry_ms
        if len(past) < min_past:
            continue
        judged[i] = True
        (neighbours,) = TradeNeighbours(obs[past], profit[past], k).query(obs[i])
        taken[i] = similar_trades_gate(neighbours, min_mean_profit_frac)
    years = float((exit_.max() - entry.min()) / YEAR_MS) if n else 0.0
    return GateMeasurement(taken, judged, profit, years)

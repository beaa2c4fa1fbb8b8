"""The outcome of the k past trades most similar to a new entry, and an optional entry gate built on it.

Similarity is the Euclidean distance between standardised entry observations (each feature minus the
memory's mean, over its standard deviation). The search is exact brute force in float32: the memory's
squared norms are computed once when the index is built, and a lookup is one BLAS matrix-vector product
and a partial sort, about the cost of the product itself (``bench/memory.py`` measures it beside that
product). scikit-learn's ``NearestNeighbors`` was measured on 100,000 real 80-feature observations and is
slower here: its trees degrade to ~22 ms per lookup at this dimension, its brute force pays ~10 ms of
per-call overhead, and a PCA-compacted tree that is fast finds under half of the true neighbours; the
tests check this search against scikit-learn's exact answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from huracan.memory.round_trips import RoundTrip, TradeMemoryError

#: Queries searched together in one matrix product (bounds the (rows, memory) distance block in memory).
QUERY_CHUNK = 256


@dataclass(frozen=True)
class Neighbours:
    """The k nearest past trades of an entry, nearest first: their indices in the memory, distances
    (standardised feature units), profits (fractions), mean profit (fraction) and win rate (fraction)."""

    indices: np.ndarray
    distances: np.ndarray
    profit_frac: np.ndarray

    @property
    def mean_profit_frac(self) -> float:
        return float(self.profit_frac.mean())

    @property
    def win_rate(self) -> float:
        return float((self.profit_frac > 0).mean())


class TradeNeighbours:
    """An exact nearest-neighbour index over past entries' observations (``obs`` shape (n, d)) and their
    profits (fractions); build it once and query it for every new entry."""

    def __init__(self, obs: np.ndarray, profit_frac: np.ndarray, k: int = 10) -> None:
        obs = np.asarray(obs, dtype=np.float32)
        if obs.ndim != 2 or len(obs) != len(profit_frac):
            raise TradeMemoryError(f"obs must be (n, d) with n = {len(profit_frac)} profits, got {obs.shape}")
        if not 0 < k <= len(obs):
            raise TradeMemoryError(f"k must be in 1..{len(obs)} (the past trades), got {k}")
        self.k = k
        self.mean = obs.mean(axis=0)
        std = obs.std(axis=0)
        self.scale = np.where(std > 0, std, 1.0).astype(np.float32)
        self.profit_frac = np.asarray(profit_frac, dtype=float)
        self.points = np.ascontiguousarray((obs - self.mean) / self.scale)
        self.sq_norms = np.einsum("ij,ij->i", self.points, self.points)

    @classmethod
    def of_trips(cls, trips: Sequence[RoundTrip], k: int = 10) -> TradeNeighbours:
        """The index over the trips that have an entry observation."""
        kept = [(t.entry_obs, t.profit_frac) for t in trips if t.entry_obs is not None]
        if not kept:
            raise TradeMemoryError("no trip has an entry observation to compare with")
        return cls(np.vstack([obs for obs, _ in kept]), np.array([profit for _, profit in kept]), k)

    def __len__(self) -> int:
        return len(self.points)

    def query(self, obs: np.ndarray) -> list[Neighbours]:
        """The neighbours of each row of ``obs`` (shape (m, d) or (d,)), nearest first."""
        rows = np.atleast_2d(np.asarray(obs, dtype=np.float32))
        if rows.ndim != 2 or rows.shape[1] != self.points.shape[1]:
            raise TradeMemoryError(f"query rows must have {self.points.shape[1]} features, got shape {rows.shape}")
        found: list[Neighbours] = []
        for chunk in range(0, len(rows), QUERY_CHUNK):
            scaled = (rows[chunk : chunk + QUERY_CHUNK] - self.mean) / self.scale
            # |p - q|^2 = |p|^2 - 2 p.q + |q|^2; the last term does not change the order, added for distances
            partial = self.sq_norms[None, :] - 2.0 * (scaled @ self.points.T)
            nearest = np.argpartition(partial, self.k - 1, axis=1)[:, : self.k]
            for row, q, idx in zip(partial, scaled, nearest, strict=True):
                idx = idx[np.argsort(row[idx], kind="stable")]
                dist = np.sqrt(np.maximum(row[idx] + float(q @ q), 0.0))
                found.append(Neighbours(idx, dist, self.profit_frac[idx]))
        return found


def similar_trades_gate(neighbours: Neighbours, min_mean_profit_frac: float = 0.0) -> bool:
    """Whether an entry may go ahead: its neighbours' mean profit (fraction) is at least the threshold."""
    return neighbours.mean_profit_frac >= min_mean_profit_frac

"""The outcome of the k past trades most similar to a new entry (scikit-learn NearestNeighbors over the
standardised entry observations), and an optional entry gate built on it (off unless a caller uses it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.neighbors import NearestNeighbors

from huracan.memory.round_trips import RoundTrip, TradeMemoryError


@dataclass(frozen=True)
class Neighbours:
    """The k nearest past trades of an entry: their indices in the memory, distances (standardised
    feature units), profits (fractions), mean profit (fraction) and win rate (fraction)."""

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
    """An index over past entries' observations (``obs`` shape (n, d), float32) and their profits."""

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
        self.index = NearestNeighbors(n_neighbors=k, algorithm="brute").fit((obs - self.mean) / self.scale)

    @classmethod
    def of_trips(cls, trips: Sequence[RoundTrip], k: int = 10) -> TradeNeighbours:
        """The index over the trips that have an entry observation."""
        kept = [(t.entry_obs, t.profit_frac) for t in trips if t.entry_obs is not None]
        if not kept:
            raise TradeMemoryError("no trip has an entry observation to compare with")
        return cls(np.vstack([obs for obs, _ in kept]), np.array([profit for _, profit in kept]), k)

    def query(self, obs: np.ndarray) -> list[Neighbours]:
        """The neighbours of each row of ``obs`` (shape (m, d) or (d,))."""
        rows = np.atleast_2d(np.asarray(obs, dtype=np.float32))
        distances, indices = self.index.kneighbors((rows - self.mean) / self.scale)
        return [Neighbours(i, d, self.profit_frac[i]) for i, d in zip(indices, distances, strict=True)]


def similar_trades_gate(neighbours: Neighbours, min_mean_profit_frac: float = 0.0) -> bool:
    """Whether an entry may go ahead: its neighbours' mean profit (fraction) is at least the threshold."""
    return neighbours.mean_profit_frac >= min_mean_profit_frac

"""kNN over entry observations returns the planted neighbour."""

from __future__ import annotations

import numpy as np
import pytest

from huracan.memory.round_trips import TradeMemoryError
from huracan.memory.similar import TradeNeighbours, similar_trades_gate


def test_the_planted_neighbour_is_found() -> None:
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(1_000, 39)).astype(np.float32)
    profit = rng.normal(0, 0.01, size=1_000)
    planted = 417
    profit[planted] = -0.5
    query = obs[planted] + np.float32(1e-3)
    (found,) = TradeNeighbours(obs, profit, k=1).query(query)
    assert found.indices.tolist() == [planted] and found.mean_profit_frac == -0.5
    assert not similar_trades_gate(found) and similar_trades_gate(found, min_mean_profit_frac=-1.0)


def test_k_larger_than_the_memory_is_named() -> None:
    with pytest.raises(TradeMemoryError, match=r"k must be in 1\.\.2"):
        TradeNeighbours(np.zeros((2, 3)), np.zeros(2), k=5)

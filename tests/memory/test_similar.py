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


def test_the_neighbours_are_scikit_learns_exact_ones() -> None:
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(1)
    obs = rng.normal(size=(3_000, 80)).astype(np.float32) * rng.uniform(0.1, 5.0, size=80).astype(np.float32)
    queries = rng.normal(size=(300, 80)).astype(np.float32)  # more than one chunk of queries
    index = TradeNeighbours(obs, rng.normal(size=3_000), k=7)
    reference = NearestNeighbors(n_neighbors=7, algorithm="brute").fit((obs - index.mean) / index.scale)
    distances, indices = reference.kneighbors((queries - index.mean) / index.scale)
    found = index.query(queries)
    assert len(found) == 300
    np.testing.assert_array_equal(np.array([n.indices for n in found]), indices)
    np.testing.assert_allclose(np.array([n.distances for n in found]), distances, rtol=1e-4)


def test_a_query_of_the_wrong_width_is_named() -> None:
    index = TradeNeighbours(np.zeros((4, 3)), np.zeros(4), k=2)
    with pytest.raises(TradeMemoryError, match="3 features"):
        index.query(np.zeros(5))

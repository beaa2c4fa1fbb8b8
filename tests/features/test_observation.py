"""The position part of the observation and the batched all-positions helper."""

from __future__ import annotations

import numpy as np
import pytest

from huracan.features.observation import (
    EXPOSURE_LEVELS,
    N_OBS,
    N_POSITIONS,
    POSITION_FEATURES,
    POSITION_ROWS,
    observation,
    observations,
    observations_all_positions,
    pad_market,
)


def test_position_features_take_six_values() -> None:
    assert N_OBS == 80 and N_POSITIONS == 6
    np.testing.assert_array_equal(
        POSITION_FEATURES,
        np.array([[0.0, 1, 0], [0.2, 0, 0], [0.4, 0, 0], [0.6, 0, 0], [0.8, 0, 0], [1.0, 0, 1]], dtype=np.float32),
    )
    assert EXPOSURE_LEVELS == (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    assert not POSITION_FEATURES.flags.writeable and not POSITION_ROWS.flags.writeable


def test_all_positions_equals_one_observation_per_level() -> None:
    market = np.random.default_rng(0).normal(size=(9, 77)).astype(np.float32)
    table = observations_all_positions(market)
    assert table.shape == (9, 6, 80) and table.dtype == np.float32
    for t in range(9):
        for level in range(6):
            np.testing.assert_array_equal(table[t, level], observation(market[t], level))
            np.testing.assert_array_equal(table[t, level], pad_market(market)[t] + POSITION_ROWS[level])
    levels = np.array([0, 5, 3, 3, 1, 2, 4, 0, 5])
    np.testing.assert_array_equal(observations(market, levels), table[np.arange(9), levels])


def test_bad_shapes_and_levels_are_refused() -> None:
    with pytest.raises(ValueError, match=r"shape \(n_rows, 77\)"):
        observations_all_positions(np.zeros((3, 80)))
    with pytest.raises(ValueError, match=r"level index must be in 0\.\.5"):
        observation(np.zeros(77), 6)
    with pytest.raises(ValueError, match=r"integers in 0\.\.5"):
        observations(np.zeros((2, 77)), np.array([0, -1]))

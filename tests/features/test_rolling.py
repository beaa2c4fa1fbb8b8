"""Trailing-window statistics: correct values, NaN before the window is full, and exact locality."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huracan.features.rolling import ema_fir, shift, window_max, window_mean, window_min, window_std, window_sum


def naive(x: np.ndarray, window: int, fn) -> np.ndarray:
    out = np.full(len(x), np.nan)
    for t in range(window - 1, len(x)):
        out[t] = fn(x[t - window + 1 : t + 1])
    return out


@pytest.mark.parametrize("window", [1, 2, 3, 7, 8, 24, 97, 240])
def test_window_statistics_match_their_definition(window: int) -> None:
    x = np.random.default_rng(window).normal(size=300)
    np.testing.assert_allclose(window_sum(x, window), naive(x, window, np.sum), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(window_mean(x, window), naive(x, window, np.mean), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(window_std(x, window), naive(x, window, np.std), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(window_max(x, window), naive(x, window, np.max))
    np.testing.assert_array_equal(window_min(x, window), naive(x, window, np.min))


def test_decayed_sum_and_truncated_ema() -> None:
    x = np.arange(1.0, 11.0)
    # window 3, decay 0.5 at t = 9: 10 + 0.5 * 9 + 0.25 * 8
    assert window_sum(x, 3, decay=0.5)[9] == 10 + 4.5 + 2.0
    assert np.isnan(window_sum(x, 3, decay=0.5)[1])
    np.testing.assert_allclose(ema_fir(np.full(50, 7.0), span=3), np.r_[np.full(11, np.nan), np.full(39, 7.0)])


def test_two_dimensional_input_rolls_each_column() -> None:
    x = np.random.default_rng(0).normal(size=(60, 3))
    for j in range(3):
        np.testing.assert_array_equal(window_sum(x, 13)[:, j], window_sum(x[:, j].copy(), 13))


def test_constant_window_has_exactly_zero_std_and_short_input_is_nan() -> None:
    assert np.all(window_std(np.full(40, 7195.24), 20)[19:] == 0.0)
    assert np.isnan(window_sum(np.ones(5), 6)).all()
    np.testing.assert_array_equal(shift(np.arange(4.0), 2), [np.nan, np.nan, 0.0, 1.0])
    with pytest.raises(ValueError, match="window must be >= 1"):
        window_sum(np.ones(5), 0)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=30, max_size=120),
    window=st.integers(1, 30),
    drop=st.integers(0, 100),
)
def test_a_row_depends_on_its_window_alone_bit_for_bit(values: list[float], window: int, drop: int) -> None:
    x = np.array(values)
    drop = min(drop, len(x) - window)
    full, tail = x, x[drop:]
    for fn in (window_sum, window_max, window_min, window_std, lambda a, w: window_sum(a, w, decay=0.9)):
        np.testing.assert_array_equal(fn(full, window)[drop + window - 1 :], fn(tail, window)[window - 1 :])

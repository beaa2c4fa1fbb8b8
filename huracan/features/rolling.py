"""Trailing-window statistics whose value at row t is a function of the window's values alone.

Every function here returns, for row ``t >= window - 1``, a statistic of ``x[t - window + 1 : t + 1]``
(along axis 0; ``x`` may be 1-D or 2-D) and NaN for earlier rows. The value is computed by the same
sequence of floating-point operations on the same window values whatever ``t`` and ``len(x)`` are, so a
frame holding only the last ``window`` candles gives bit-for-bit the row a long history gives: live
inference on the latest candles sees exactly what the backtest saw. Prefix sums (``cumsum``) would be
faster to write but make row t depend, through rounding, on everything before the window.

Sums use binary doubling: ``S_2m[t] = S_m[t] + d**m * S_m[t - m]``, then the window is a fixed sum of
power-of-two blocks, so a window of w rows costs about ``2 * log2(w)`` passes over the data.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _blocks(window: int) -> list[int]:
    """Power-of-two block sizes, largest first, summing to ``window``."""
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    return [1 << b for b in range(window.bit_length() - 1, -1, -1) if window >> b & 1]


def _doubling(x: np.ndarray, largest: int, combine: Callable[[np.ndarray, np.ndarray, int], np.ndarray]) -> dict:
    """``{m: A_m}`` for m = 1, 2, 4, ... <= largest, with A_m[t] aggregating x[t-m+1 .. t] (NaN before)."""
    levels = {1: x}
    m = 1
    while 2 * m <= largest:
        prev = levels[m]
        nxt = np.full_like(prev, np.nan)
        if len(prev) >= 2 * m:
            nxt[2 * m - 1 :] = combine(prev[2 * m - 1 :], prev[m - 1 : len(prev) - m], m)
        levels[2 * m] = nxt
        m *= 2
    return levels


def window_sum(x: np.ndarray, window: int, decay: float = 1.0) -> np.ndarray:
    """``out[t] = sum(decay**k * x[t - k] for k in range(window))``; NaN for ``t < window - 1``.

    :param x: values, 1-D or 2-D (rows are time), float64.
    :param window: number of rows in the window, >= 1.
    :param decay: weight ratio between a row and the next newer one (1.0: plain sum; < 1: a finite
        exponentially weighted sum, as in a truncated EMA).
    """
    x = np.asarray(x, dtype=np.float64)
    blocks = _blocks(window)
    if decay == 1.0:
        levels = _doubling(x, blocks[0], lambda new, old, m: new + old)
    else:
        levels = _doubling(x, blocks[0], lambda new, old, m: new + decay**m * old)
    out = np.full_like(x, np.nan)
    n = len(x)
    if n < window:
        return out
    rows = slice(window - 1, n)
    acc = levels[blocks[0]][rows].copy()
    offset = blocks[0]
    for size in blocks[1:]:
        part = levels[size][window - 1 - offset : n - offset]
        acc += part if decay == 1.0 else decay**offset * part
        offset += size
    out[rows] = acc
    return out


def _window_extreme(x: np.ndarray, window: int, op: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    blocks = _blocks(window)
    levels = _doubling(x, blocks[0], lambda new, old, m: op(new, old))
    out = np.full_like(x, np.nan)
    n = len(x)
    if n < window:
        return out
    acc = levels[blocks[0]][window - 1 :].copy()
    offset = blocks[0]
    for size in blocks[1:]:
        acc = op(acc, levels[size][window - 1 - offset : n - offset])
        offset += size
    out[window - 1 :] = acc
    return out


def window_max(x: np.ndarray, window: int) -> np.ndarray:
    """``out[t] = max(x[t - window + 1 : t + 1])``; NaN for ``t < window - 1``."""
    return _window_extreme(x, window, np.maximum)


def window_min(x: np.ndarray, window: int) -> np.ndarray:
    """``out[t] = min(x[t - window + 1 : t + 1])``; NaN for ``t < window - 1``."""
    return _window_extreme(x, window, np.minimum)


def window_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Mean over the trailing ``window`` rows; NaN before the window is full."""
    return window_sum(x, window) / window


_VAR_NOISE = 8.0 * np.finfo(np.float64).eps


def window_std(x: np.ndarray, window: int) -> np.ndarray:
    """Population standard deviation over the trailing ``window`` rows.

    Computed as ``sqrt(mean(x^2) - mean(x)^2)``; a variance below the rounding noise of that
    difference (``8 eps * mean(x^2)``) is taken as 0, so a constant window gives exactly 0.
    """
    mean = window_mean(x, window)
    mean_sq = window_mean(np.square(x), window)
    var = mean_sq - np.square(mean)
    var = np.where(var > _VAR_NOISE * mean_sq, var, np.where(np.isnan(var), np.nan, 0.0))
    return np.sqrt(var)


def ema_fir(x: np.ndarray, span: int, window: int | None = None) -> np.ndarray:
    """Exponential moving average with ``alpha = 2 / (span + 1)``, truncated to a finite window.

    The weights ``(1 - alpha)**k`` for ``k < window`` are normalised to sum to 1, so the average
    depends on the trailing ``window`` rows only (default ``4 * span``: the dropped tail of an infinite
    EMA would weigh ``(1 - alpha)**window``, under 0.04 %).
    """
    window = 4 * span if window is None else window
    decay = 1.0 - 2.0 / (span + 1.0)
    norm = (1.0 - decay**window) / (1.0 - decay)
    return window_sum(x, window, decay) / norm


def shift(x: np.ndarray, lag: int) -> np.ndarray:
    """``out[t] = x[t - lag]`` (``lag >= 1``); NaN for ``t < lag``."""
    out = np.full_like(np.asarray(x, dtype=np.float64), np.nan)
    out[lag:] = x[: len(x) - lag]
    return out

"""Candle columns as arrays, with the few derived series several features share, and safe arithmetic."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from huracan.features.rolling import shift, window_std, window_sum

LN2 = float(np.log(2.0))


def div(a: np.ndarray, b: np.ndarray, fallback: float = 0.0) -> np.ndarray:
    """``a / b`` where ``b > 0``; ``fallback`` where ``b == 0``; NaN where ``a`` or ``b`` is NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.divide(a, b)
    undefined = np.isnan(a) | np.isnan(b)
    return np.where(b > 0, q, np.where(undefined, np.nan, fallback))


def log1p_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``ln(1 + a / b) - ln 2`` for non-negative a, b: 0 when a == b, bounded below by -ln 2.

    The ratio is taken as 1 (feature 0) when ``b == 0``, i.e. nothing to compare against.
    """
    return np.log1p(div(a, b, fallback=1.0)) - LN2


@dataclass
class Bars:
    """Float64 columns of a checked candle frame, rows in time order (prices quote, volume base)."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    _rv: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.close)

    @cached_property
    def log_close(self) -> np.ndarray:
        """``ln C``."""
        return np.log(self.close)

    @cached_property
    def r(self) -> np.ndarray:
        """One-candle log return ``ln(C_t / C_t-1)``; NaN at row 0."""
        out = np.full(len(self), np.nan)
        out[1:] = np.diff(self.log_close)
        return out

    @cached_property
    def prev_close(self) -> np.ndarray:
        """``C_t-1``; NaN at row 0."""
        return shift(self.close, 1)

    @cached_property
    def log_range(self) -> np.ndarray:
        """``ln(H / L)`` >= 0."""
        return np.log(self.high / self.low)

    @cached_property
    def hl_range(self) -> np.ndarray:
        """``H - L`` (quote currency) >= 0."""
        return self.high - self.low

    @cached_property
    def r_squared(self) -> np.ndarray:
        return np.square(self.r)

    @cached_property
    def sigma96(self) -> np.ndarray:
        """Population std of ``r`` over 96 returns (97 candles)."""
        return window_std(self.r, 96)

    def rv(self, window: int) -> np.ndarray:
        """Realised volatility per candle: ``sqrt(mean(r^2 over window))``."""
        if window not in self._rv:
            self._rv[window] = np.sqrt(window_sum(self.r_squared, window) / window)
        return self._rv[window]

"""Series checks Great Expectations has no built-in for: staleness and log-return outliers. Pure, no I/O.

Coverage and gaps live in :mod:`huracan.quality.coverage`; the GX wrappers that put all of them in
the same validation result live in :mod:`huracan.quality.expectations`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Turns a median absolute deviation into a standard deviation for normally distributed data.
MAD_TO_STD = 1.4826


@dataclass(frozen=True)
class Freshness:
    """How old a series' last candle is at a reference instant.

    :param last_open_ms: open time of the newest candle, ms UTC; None for an empty series.
    :param as_of_ms: the reference instant ("now"), ms UTC.
    :param age_candles: time from the newest candle's close (open + one timeframe) to ``as_of_ms``,
        in timeframes (0.5 = half a candle); None for an empty series. Negative when the newest
        candle has not closed at ``as_of_ms``.
    """

    last_open_ms: int | None
    as_of_ms: int
    age_candles: float | None


def freshness(ts_ms: np.ndarray, timeframe_ms: int, as_of_ms: int) -> Freshness:
    """Age of the newest open time in ``ts_ms`` (ms UTC) at ``as_of_ms``, in candles of ``timeframe_ms``."""
    ts = np.asarray(ts_ms, dtype=np.int64)
    if not len(ts):
        return Freshness(None, as_of_ms, None)
    last = int(ts.max())
    return Freshness(last, as_of_ms, (as_of_ms - (last + timeframe_ms)) / timeframe_ms)


@dataclass(frozen=True)
class Outliers:
    """Candles whose log return is beyond the robust threshold.

    :param ts_ms: open times (ms UTC) of the outlier candles, oldest first.
    :param log_returns: their log return ``ln(close / previous close)``.
    :param thresholds: the absolute log return each one exceeded.
    :param assessed: how many log returns were assessed (finite, positive closes).
    """

    ts_ms: tuple[int, ...]
    log_returns: tuple[float, ...]
    thresholds: tuple[float, ...]
    assessed: int

    def __len__(self) -> int:
        return len(self.ts_ms)


def log_return_outliers(
    ts_ms: np.ndarray, close: np.ndarray, window: int, mad_k: float, min_log_return: float
) -> Outliers:
    """Candles whose absolute log return exceeds ``max(mad_k * scale, min_log_return)``.

    The robust scale at each candle is ``1.4826 * median(|log return|)`` over the ``window`` returns
    before it (the median absolute deviation about zero: a candle's median log return is ~0), so a
    crash does not widen its own threshold. The first candles, with fewer than ``min(window, 20)``
    returns behind them, use the first scale that can be computed. Rows must be in time order; rows
    with a missing open time or a missing or non-positive close are skipped (other checks report them).

    :param ts_ms: open times, ms UTC, ascending (int or float; NaN = missing).
    :param close: close prices, quote currency.
    :param window: trailing window, candles (>= 2).
    :param mad_k: threshold in robust standard deviations (> 0).
    :param min_log_return: floor of the threshold, an absolute log return (>= 0).
    """
    import pandas as pd

    ts = np.asarray(ts_ms, dtype=np.float64)  # exact for epoch ms (< 2**53); NaN marks a missing open time
    prices = np.asarray(close, dtype=np.float64)
    valid = np.isfinite(prices) & (prices > 0) & np.isfinite(ts)
    ts, prices = ts[valid], prices[valid]
    if len(prices) < 2:
        return Outliers((), (), (), 0)
    returns = np.diff(np.log(prices))
    size = np.abs(returns)
    median = pd.Series(size).rolling(window, min_periods=min(window, 20)).median().shift(1)
    scale = median.bfill().to_numpy()
    if np.isnan(scale).all():  # too short for a window: one scale from the whole series
        scale = np.full_like(size, np.median(size))
    threshold = np.maximum(mad_k * MAD_TO_STD * scale, min_log_return)
    hits = np.flatnonzero(size > threshold)
    return Outliers(
        tuple(int(t) for t in ts[1:][hits]),
        tuple(float(r) for r in returns[hits]),
        tuple(float(t) for t in threshold[hits]),
        len(returns),
    )

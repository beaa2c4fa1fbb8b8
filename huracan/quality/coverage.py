"""Coverage and gaps of a candle series on its timeframe's grid: pure numpy, no I/O.

A timeframe's grid is every multiple of its length since the epoch (see :mod:`huracan.timeframes`).
A requested range ``[start_ms, end_ms]`` (ms UTC, both ends included) covers the candles whose *open
time* lies inside it, as :meth:`huracan.data.candle_store.CandleStore.read` returns them, so:

- expected = grid points in ``[ceil(start_ms), floor(end_ms)]``: a range starting mid-candle does not
  expect the candle that opened before it; one ending mid-candle expects the candle open at its end.
  One day of 1m candles (00:00 to 23:59) expects 1,440; 90 days of 1d candles expect 90. A range
  holding no grid point expects 0.
- present = distinct on-grid open times inside the range (duplicates and off-grid candles, which
  other checks report, never raise coverage above 1).
- coverage = present / expected, a fraction; 0.0 when nothing is expected (there is nothing to
  validate, which the gate reports as a failure rather than dividing by zero).
- gaps = every run of consecutive missing grid points in the range, leading and trailing ones included.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from huracan.data.candle_store import Gap


def grid_bounds(timeframe_ms: int, start_ms: int, end_ms: int) -> tuple[int, int]:
    """First and last grid point (ms UTC) inside ``[start_ms, end_ms]``; first > last when there is none."""
    first = -((-start_ms) // timeframe_ms) * timeframe_ms
    last = end_ms - end_ms % timeframe_ms
    return first, last


def expected_candles(timeframe_ms: int, start_ms: int, end_ms: int) -> int:
    """Number of grid points (candle open times) in ``[start_ms, end_ms]``, both ends included; >= 0."""
    first, last = grid_bounds(timeframe_ms, start_ms, end_ms)
    return max(0, (last - first) // timeframe_ms + 1)


@dataclass(frozen=True)
class Coverage:
    """How much of a range's grid a series fills.

    :param timeframe_ms: candle length, ms.
    :param start_ms: requested range start, ms UTC (included).
    :param end_ms: requested range end, ms UTC (included).
    :param expected: grid points in the range (candles a complete series has), >= 0.
    :param present: distinct on-grid open times in the range, ``0 <= present <= expected``.
    :param gaps: runs of missing grid points, oldest first; ``first_ms``/``last_ms`` are the first and
        last missing open times (ms UTC, included) and ``missing`` their count in candles.
    """

    timeframe_ms: int
    start_ms: int
    end_ms: int
    expected: int
    present: int
    gaps: tuple[Gap, ...]

    @property
    def coverage(self) -> float:
        """``present / expected``, a fraction in [0, 1]; 0.0 when ``expected`` is 0."""
        return self.present / self.expected if self.expected else 0.0

    @property
    def missing(self) -> int:
        """Candles expected but absent."""
        return self.expected - self.present

    @property
    def longest_gap(self) -> int:
        """Length of the longest gap in candles; 0 without gaps."""
        return max((gap.missing for gap in self.gaps), default=0)


def compute_coverage(ts_ms: np.ndarray, timeframe_ms: int, start_ms: int, end_ms: int) -> Coverage:
    """Coverage and gaps of the open times ``ts_ms`` (ms UTC, any order) in ``[start_ms, end_ms]``.

    :param ts_ms: candle open times; values outside the range or off the grid are ignored, repeats
        counted once.
    :param timeframe_ms: candle length, ms (> 0).
    :param start_ms: range start, ms UTC, included; need not be on the grid.
    :param end_ms: range end, ms UTC, included; need not be on the grid.
    """
    if timeframe_ms <= 0:
        raise ValueError(f"timeframe_ms must be > 0, got {timeframe_ms}")
    expected = expected_candles(timeframe_ms, start_ms, end_ms)
    if not expected:
        return Coverage(timeframe_ms, start_ms, end_ms, 0, 0, ())
    first, last = grid_bounds(timeframe_ms, start_ms, end_ms)
    ts = np.asarray(ts_ms, dtype=np.int64)
    inside = ts[(ts >= first) & (ts <= last) & (ts % timeframe_ms == 0)]
    present_ts = np.unique(inside)  # sorted, distinct
    # Sentinels one step outside the range turn leading and trailing holes into ordinary gaps.
    bounded = np.concatenate(([first - timeframe_ms], present_ts, [last + timeframe_ms]))
    steps = np.diff(bounded)
    where = np.flatnonzero(steps > timeframe_ms)
    gaps = tuple(
        Gap(int(bounded[i]) + timeframe_ms, int(bounded[i + 1]) - timeframe_ms, int(steps[i]) // timeframe_ms - 1)
        for i in where
    )
    return Coverage(timeframe_ms, start_ms, end_ms, expected, len(present_ts), gaps)

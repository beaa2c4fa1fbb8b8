"""The walk-forward split: train, validation and test windows cut by time, never shuffled.

A window is a half-open range of *decision rows* ``[start_row, end_row)`` of one candle frame: at row t
(the candle that just closed) the agent picks a target, the order fills at the open of row t + 1 and is
marked at the close of row t + 1. Decisions are possible from the features' warm-up
(:data:`huracan.features.catalog.WARMUP_ROWS`) up to row ``n - 2``. The three windows follow each other
with no overlap and no gap::

    rows:  0 ... first_row ... train.end_row = validation.start_row ... test.start_row ... n - 1
           |- warm-up -|------ train ------|------ validation ------|------ test ------|

Training sees rows ``0 .. train.end_row`` only (the last one as the fill and mark of the last training
decision). The validation and test windows may use earlier candles for their features' lookback (the
features never look ahead) but no learning happens on them: validation only selects among checkpoints,
test is never seen before ``huracan backtest`` / ``huracan promote``.

Times follow the backtester (:func:`huracan.trading.backtest.window_rows`): a window is ``[start_ms,
end_ms)`` of *decision times*, row t deciding at the close of candle t (its open time plus the
timeframe). So ``start_ms`` is the close of the first decision candle and ``end_ms`` the close of the
candle that marks the last decision (row ``end_row``); consecutive windows share their boundary, and
``window_rows(data, w.start_ms, w.end_ms) == (w.start_row, w.end_row)`` on any frame holding the candles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from huracan.errors import TrainingError
from huracan.trading.market_data import MarketData

DEFAULT_FRACTIONS: tuple[float, float, float] = (0.70, 0.15, 0.15)
"""Shares of the decisions given to train, validation and test."""
MIN_DECISIONS: tuple[int, int, int] = (64, 16, 16)
"""Fewest decisions a train, validation and test window may hold."""
WINDOW_NAMES: tuple[str, str, str] = ("train", "validation", "test")


@dataclass(frozen=True)
class Window:
    """Decision rows ``[start_row, end_row)`` of a frame and their times.

    :param name: "train", "validation" or "test".
    :param start_row: first decision row.
    :param end_row: one past the last decision row (also the row whose close marks the last decision).
    :param start_ms: decision time of the first decision (close of candle ``start_row``), ms UTC.
    :param end_ms: end of the window, excluded: the close of candle ``end_row``, ms UTC.
    """

    name: str
    start_row: int
    end_row: int
    start_ms: int
    end_ms: int

    def __post_init__(self) -> None:
        if not 0 <= self.start_row < self.end_row:
            raise ValueError(f"{self.name} window needs 0 <= start_row < end_row, got {self.start_row}, {self.end_row}")
        if self.start_ms >= self.end_ms:
            raise ValueError(f"{self.name} window starts after it ends: {self.start_ms} > {self.end_ms}")

    @property
    def n_decisions(self) -> int:
        """Number of decisions in the window."""
        return self.end_row - self.start_row


@dataclass(frozen=True)
class WalkForwardSplit:
    """Three consecutive windows over one frame: ``train``, ``validation``, ``test``."""

    train: Window
    validation: Window
    test: Window

    @property
    def windows(self) -> tuple[Window, Window, Window]:
        return self.train, self.validation, self.test


def walk_forward_split(
    data: MarketData,
    fractions: tuple[float, float, float] = DEFAULT_FRACTIONS,
    min_decisions: tuple[int, int, int] = MIN_DECISIONS,
) -> WalkForwardSplit:
    """Cut the decisions of ``data`` (rows ``first_row .. n_rows - 2``) into train, validation and test.

    :param data: the candles' arrays, with open times (:meth:`MarketData.from_candles`).
    :param fractions: shares of the decisions for train, validation and test; each > 0, summing to 1.
        Validation and test get ``floor(share * decisions)`` decisions, train the rest (it absorbs the
        rounding).
    :param min_decisions: fewest decisions per window; fewer raises :class:`TrainingError` naming the
        window and about how many candles would be enough.
    """
    if data.open_time_ms is None:
        raise ValueError("the walk-forward split needs open times; build the MarketData with from_candles")
    if len(fractions) != 3 or min(fractions) <= 0 or not math.isclose(sum(fractions), 1.0, abs_tol=1e-9):
        raise TrainingError(f"split fractions must be three shares > 0 summing to 1, got {fractions}")
    n, first_row = data.n_rows, data.first_row
    decisions = data.n_decisions
    n_val = math.floor(fractions[1] * decisions)
    n_test = math.floor(fractions[2] * decisions)
    sizes = (decisions - n_val - n_test, n_val, n_test)
    short = [
        f"{max(size, 0)} {name} (at least {least})"
        for name, size, least in zip(WINDOW_NAMES, sizes, min_decisions, strict=True)
        if size < least
    ]
    if short:
        shares = zip(min_decisions, fractions, strict=True)
        needed = first_row + 1 + max(math.ceil(least / share) for least, share in shares)
        raise TrainingError(
            f"{n} candles leave {decisions} decisions after the {first_row}-candle feature warm-up: "
            f"{', '.join(short)} decisions; use a longer range, about {needed} candles or more"
        )
    close_ms = np.asarray(data.open_time_ms, dtype=np.int64) + data.timeframe.ms
    bounds = np.cumsum((first_row, *sizes))
    windows = [
        Window(name, int(lo), int(hi), int(close_ms[lo]), int(close_ms[hi]))
        for name, lo, hi in zip(WINDOW_NAMES, bounds[:-1], bounds[1:], strict=True)
    ]
    return WalkForwardSplit(*windows)

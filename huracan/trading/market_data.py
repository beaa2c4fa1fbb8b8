"""What the envs read from the candles, computed once: observations' market part, prices and volumes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from huracan.features.candles import CandleFrameError, candle_arrays, check_candles, open_times_ms
from huracan.features.catalog import LOOKBACK_ROWS, WARMUP_ROWS
from huracan.features.market import build_market_features, resolve_timeframe
from huracan.features.observation import pad_market
from huracan.timeframes import Timeframe

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, eq=False)
class MarketData:
    """Read-only arrays for the envs; build with :meth:`from_candles` and share between env copies.

    :param features: (n, 80) float32: the 77 market features in columns 0..76, zeros in the position
        columns 77..79 (rows before ``first_row`` are NaN).
    :param open_quote: candle opens, quote currency, float64 (n,).
    :param close_quote: candle closes, quote currency, float64 (n,).
    :param volume_base: candle volumes, base asset, float64 (n,).
    :param timeframe: the candles' timeframe.
    :param first_row: first decision row (the features' warm-up); decisions run up to row ``n - 2``,
        since the order of row t fills at the open of row t + 1.
    :param open_time_ms: candle open times, int64 ms UTC (n,); ``None`` when built without times (the
        backtester's time windows and time stamps need them; :meth:`from_candles` sets them).
    :param high_quote: candle highs, quote currency, float64 (n,); ``None`` when built without them
        (maker fills need them; :meth:`from_candles` sets them).
    :param low_quote: candle lows, likewise.
    """

    features: np.ndarray
    open_quote: np.ndarray
    close_quote: np.ndarray
    volume_base: np.ndarray
    timeframe: Timeframe
    first_row: int = WARMUP_ROWS
    open_time_ms: np.ndarray | None = None
    high_quote: np.ndarray | None = None
    low_quote: np.ndarray | None = None

    @classmethod
    def from_candles(cls, candles: pd.DataFrame, timeframe: str | Timeframe | None = None) -> MarketData:
        """Check ``candles`` (at least ``LOOKBACK_ROWS + 1`` rows: one decision and its fill) and build."""
        check_candles(candles, min_rows=LOOKBACK_ROWS + 1)
        tf = resolve_timeframe(candles, timeframe)
        features = pad_market(build_market_features(candles, tf, check=False))
        o, h, lo, c, v = candle_arrays(candles)
        times = open_times_ms(candles)
        for array in (features, o, h, lo, c, v, times):
            array.flags.writeable = False
        return cls(features, o, c, v, tf, open_time_ms=times, high_quote=h, low_quote=lo)

    def __post_init__(self) -> None:
        n = len(self.close_quote)
        if not (len(self.features) == len(self.open_quote) == len(self.volume_base) == n):
            raise CandleFrameError("features, open, close and volume must have the same number of rows")
        for name in ("open_time_ms", "high_quote", "low_quote"):
            array = getattr(self, name)
            if array is not None and len(array) != n:
                raise CandleFrameError(f"{name} must have one value per row")
        if not 0 <= self.first_row <= n - 2:
            raise CandleFrameError(f"{n} rows leave no decision after the warm-up of {self.first_row} rows")

    def __repr__(self) -> str:
        return f"MarketData(n_rows={self.n_rows}, timeframe={self.timeframe}, first_row={self.first_row})"

    @property
    def n_rows(self) -> int:
        """Number of candles."""
        return len(self.close_quote)

    @property
    def n_decisions(self) -> int:
        """Decisions possible over the whole range: rows ``first_row .. n_rows - 2``."""
        return self.n_rows - 1 - self.first_row

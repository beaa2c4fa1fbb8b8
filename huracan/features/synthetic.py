"""Synthetic candle frames for tests and benchmarks (not a market model: see ``huracan.market``).

:func:`random_walk_candles` draws a geometric random walk with plausible OHLCV candles; the same seed
gives the same frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from huracan.timeframes import Timeframe

if TYPE_CHECKING:
    import pandas as pd


def random_walk_candles(
    n_rows: int,
    seed: int = 0,
    timeframe: str = "1h",
    start_ms: int = 1_577_836_800_000,
    start_price_quote: float = 7_200.0,
    vol_per_candle_frac: float = 0.006,
) -> pd.DataFrame:
    """A candle frame of ``n_rows`` candles following a geometric random walk with volatility clusters.

    :param n_rows: number of candles, >= 1.
    :param seed: seed of the numpy generator.
    :param timeframe: candle timeframe ("1m" .. "1d").
    :param start_ms: open time of the first candle, ms UTC (default 2020-01-01).
    :param start_price_quote: first open, quote currency, > 0.
    :param vol_per_candle_frac: typical standard deviation of a candle's log return.
    """
    import pandas as pd

    if n_rows < 1:
        raise ValueError(f"n_rows must be >= 1, got {n_rows}")
    tf = Timeframe.parse(timeframe)
    rng = np.random.default_rng(seed)
    regime = np.exp(np.convolve(rng.normal(0.0, 0.3, n_rows + 49), np.ones(50) / np.sqrt(50), mode="valid"))
    sigma = vol_per_candle_frac * regime
    log_ret = rng.standard_t(5, n_rows) * sigma / np.sqrt(5.0 / 3.0)
    close = start_price_quote * np.exp(np.cumsum(log_ret))
    open_ = np.empty(n_rows)
    open_[0] = start_price_quote
    open_[1:] = close[:-1]
    wick = np.abs(rng.normal(0.0, 0.5, (2, n_rows))) * sigma
    high = np.maximum(open_, close) * np.exp(wick[0])
    low = np.minimum(open_, close) * np.exp(-wick[1])
    volume = rng.lognormal(np.log(500.0), 0.6, n_rows) * (1.0 + 20.0 * np.abs(log_ret))
    index = pd.DatetimeIndex(
        pd.to_datetime(start_ms + tf.ms * np.arange(n_rows, dtype=np.int64), unit="ms", utc=True), name="open_time"
    )
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index)

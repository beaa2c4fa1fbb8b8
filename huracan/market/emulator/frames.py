"""The simulated market as a candle frame, for tests and benchmarks that need candles without a server.

``simulated_candles(1200, params=MARKET_PRESETS["planted"])`` is the same candles the emulator serves for
that seed, symbol and timeframe, as a candle frame: a UTC ``DatetimeIndex`` named ``open_time`` and float
columns ``open, high, low, close, volume`` (prices in quote currency, volume in base asset).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from huracan.market.emulator.simulated import SimulatedSeries, SimulationParams
from huracan.series import CANDLE_COLUMNS
from huracan.timeframes import Timeframe

if TYPE_CHECKING:
    import pandas as pd


def simulated_candles(
    n_rows: int,
    seed: int = 0,
    symbol: str = "BTC/USDT",
    timeframe: str | Timeframe = "1d",
    start_ms: int = 1_546_300_800_000,
    params: SimulationParams | None = None,
) -> pd.DataFrame:
    """The first ``n_rows`` candles of a simulated series as a candle frame.

    :param n_rows: number of candles, >= 0.
    :param seed: market seed (with the symbol and timeframe it fixes every candle).
    :param symbol: unified symbol, e.g. "BTC/USDT".
    :param timeframe: candle timeframe ("1m" .. "1d").
    :param start_ms: first open time, ms UTC (default 2019-01-01), rounded up to the timeframe grid.
    :param params: the market model (e.g. a preset of :data:`~huracan.market.emulator.MARKET_PRESETS`);
        None: the default market.
    """
    import pandas as pd

    tf = timeframe if isinstance(timeframe, Timeframe) else Timeframe.parse(timeframe)
    series = SimulatedSeries(seed, symbol, tf, start_ms, params=params)
    columns = series.columns(0, n_rows)
    open_ms = series.origin_ms + np.arange(n_rows, dtype=np.int64) * tf.ms
    index = pd.DatetimeIndex(pd.to_datetime(open_ms, unit="ms", utc=True), name="open_time")
    return pd.DataFrame({name: columns[name] for name in CANDLE_COLUMNS}, index=index)

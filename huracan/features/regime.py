"""Regime features (trend and volatility regime, efficiency, variance ratio, skew) and calendar features.

Raw (unscaled) values keyed by catalog name; :mod:`huracan.features.market` scales, clips and orders them.
"""

from __future__ import annotations

import numpy as np

from huracan.features.bars import Bars, div, log1p_ratio
from huracan.features.rolling import shift, window_mean, window_std, window_sum
from huracan.timeframes import DAY_MS

HOUR_MS = 3_600_000
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday: Monday-based weekday 3


def regime(bars: Bars) -> dict[str, np.ndarray]:
    """Trend regime (moving-average ratios, efficiency), volatility regime, variance ratio, up fraction, skew."""
    c = bars.close
    out: dict[str, np.ndarray] = {
        "trend_24_96": np.log(window_mean(c, 24) / window_mean(c, 96)),
        "trend_96_240": np.log(window_mean(c, 96) / window_mean(c, 240)),
    }
    abs_r = np.abs(bars.r)
    for w in (24, 96):
        move = np.abs(bars.log_close - shift(bars.log_close, w))
        out[f"efficiency_{w}"] = div(move, window_sum(abs_r, w))
    rv24 = bars.rv(24)
    out["vol_regime_z"] = div(rv24 - window_mean(rv24, 240), window_std(rv24, 240))
    r16 = bars.log_close - shift(bars.log_close, 16)
    out["variance_ratio_16"] = log1p_ratio(window_mean(np.square(r16), 224), 16.0 * window_mean(bars.r_squared, 224))
    up = np.where(np.isnan(bars.r), np.nan, (bars.r > 0).astype(np.float64))
    out["up_frac_24"] = 2.0 * window_mean(up, 24) - 1.0
    mean = window_mean(bars.r, 96)
    m2 = window_mean(bars.r_squared, 96)
    m3 = window_mean(bars.r_squared * bars.r, 96)
    central3 = m3 - 3.0 * mean * m2 + 2.0 * mean**3
    out["skew_96"] = div(central3, window_std(bars.r, 96) ** 3)
    return out


def calendar(close_ms: np.ndarray, timeframe_ms: int) -> dict[str, np.ndarray]:
    """Time of day, minute of hour and day of week of each decision time, as sin/cos pairs, and a weekend flag.

    :param close_ms: decision times (candle close = open + timeframe), int64 ms UTC.
    :param timeframe_ms: candle length in ms; time of day is 0 for daily candles, minute of hour for
        candles of an hour or longer (they would be constant).
    """
    close_ms = np.asarray(close_ms, dtype=np.int64)
    zeros = np.zeros(len(close_ms))
    tod = 2.0 * np.pi * (close_ms % DAY_MS) / DAY_MS
    moh = 2.0 * np.pi * (close_ms % HOUR_MS) / HOUR_MS
    dow = 2.0 * np.pi * ((close_ms + _EPOCH_WEEKDAY * DAY_MS) % (7 * DAY_MS)) / (7 * DAY_MS)
    weekday = (close_ms // DAY_MS + _EPOCH_WEEKDAY) % 7
    intraday = timeframe_ms < DAY_MS
    sub_hour = timeframe_ms < HOUR_MS
    return {
        "hour_sin": np.sin(tod) if intraday else zeros,
        "hour_cos": np.cos(tod) if intraday else zeros,
        "minute_sin": np.sin(moh) if sub_hour else zeros,
        "minute_cos": np.cos(moh) if sub_hour else zeros,
        "dow_sin": np.sin(dow),
        "dow_cos": np.cos(dow),
        "weekend": (weekday >= 5).astype(np.float64),
    }

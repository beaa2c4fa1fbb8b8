"""Price features: returns over several horizons, volatility estimators, momentum and trend oscillators.

Raw (unscaled) values keyed by catalog name; :mod:`huracan.features.market` scales, clips and orders them.
"""

from __future__ import annotations

import numpy as np

from huracan.features.bars import Bars, div
from huracan.features.rolling import ema_fir, shift, window_max, window_mean, window_min, window_std, window_sum

_GK_K = 2.0 * np.log(2.0) - 1.0
_VOL_EPS = 1e-8


def returns(bars: Bars) -> dict[str, np.ndarray]:
    """Volatility-normalised log returns over 1..128 candles and the raw one-candle log return."""
    out: dict[str, np.ndarray] = {}
    for h in (1, 2, 4, 8, 16, 32, 64, 128):
        ret_h = bars.log_close - shift(bars.log_close, h)
        out[f"ret_z_{h}"] = div(ret_h, np.sqrt(h) * bars.sigma96)
    out["logret_1"] = bars.r
    return out


def volatility(bars: Bars) -> dict[str, np.ndarray]:
    """Close-to-close, Parkinson, Garman-Klass and Rogers-Satchell volatility per candle, and ratios."""
    out: dict[str, np.ndarray] = {}
    for w in (6, 24, 96, 240):
        out[f"rv_{w}"] = bars.rv(w)
    hl2 = np.square(bars.log_range)
    co2 = np.square(np.log(bars.close / bars.open))
    for w in (24, 96):
        out[f"parkinson_{w}"] = np.sqrt(window_mean(hl2, w) / (4.0 * np.log(2.0)))
    gk_term = 0.5 * hl2 - _GK_K * co2
    for w in (24, 96):
        out[f"garman_klass_{w}"] = np.sqrt(np.maximum(window_mean(gk_term, w), 0.0))
    h, lo, o, c = bars.high, bars.low, bars.open, bars.close
    rs_term = np.log(h / c) * np.log(h / o) + np.log(lo / c) * np.log(lo / o)
    out["rogers_satchell_24"] = np.sqrt(np.maximum(window_mean(rs_term, 24), 0.0))
    out["vol_ratio_6_96"] = np.log((bars.rv(6) + _VOL_EPS) / (bars.rv(96) + _VOL_EPS))
    out["vol_ratio_24_240"] = np.log((bars.rv(24) + _VOL_EPS) / (bars.rv(240) + _VOL_EPS))
    out["range_1"] = bars.log_range
    return out


def _pct_b(close: np.ndarray, window: int) -> np.ndarray:
    mean = window_mean(close, window)
    std = window_std(close, window)
    return div(close - (mean - 2.0 * std), 4.0 * std, fallback=0.5) - 0.5


def _channel_position(bars: Bars, window: int) -> np.ndarray:
    low = window_min(bars.low, window)
    high = window_max(bars.high, window)
    return div(bars.close - low, high - low, fallback=0.5) - 0.5


def momentum(bars: Bars) -> dict[str, np.ndarray]:
    """RSI, MACD, Bollinger %b and width, stochastic, ATR, distances to moving averages and extremes."""
    out: dict[str, np.ndarray] = {}
    change = bars.close - bars.prev_close
    rises = np.maximum(change, 0.0)
    falls = np.maximum(-change, 0.0)
    for w in (6, 14, 28):
        up = window_sum(rises, w)
        down = window_sum(falls, w)
        out[f"rsi_{w}"] = div(2.0 * up, up + down, fallback=1.0) - 1.0
    macd = (ema_fir(bars.close, 12) - ema_fir(bars.close, 26)) / bars.close
    signal = ema_fir(macd, 9)
    out["macd"] = macd
    out["macd_signal"] = signal
    out["macd_hist"] = macd - signal
    out["bb_pctb_20"] = _pct_b(bars.close, 20)
    out["bb_width_20"] = div(4.0 * window_std(bars.close, 20), window_mean(bars.close, 20))
    out["bb_pctb_50"] = _pct_b(bars.close, 50)
    out["stoch_14"] = _channel_position(bars, 14)
    true_range = np.maximum(
        bars.hl_range, np.maximum(np.abs(bars.high - bars.prev_close), np.abs(bars.low - bars.prev_close))
    )
    for w in (14, 48):
        out[f"atr_frac_{w}"] = window_mean(true_range, w) / bars.close
    for w in (24, 96, 240):
        out[f"dist_sma_{w}"] = np.log(bars.close / window_mean(bars.close, w))
    for w in (24, 96):
        out[f"donchian_{w}"] = _channel_position(bars, w)
    out["drawdown_240"] = np.log(bars.close / window_max(bars.high, 240))
    out["runup_240"] = np.log(bars.close / window_min(bars.low, 240))
    return out

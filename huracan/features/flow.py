"""Volume, candle-shape and microstructure features (illiquidity and spread proxies from OHLCV).

Raw (unscaled) values keyed by catalog name; :mod:`huracan.features.market` scales, clips and orders them.
"""

from __future__ import annotations

import numpy as np

from huracan.features.bars import Bars, div, log1p_ratio
from huracan.features.rolling import shift, window_mean, window_std, window_sum

_CS_K = 3.0 - 2.0 * np.sqrt(2.0)


def volume(bars: Bars) -> dict[str, np.ndarray]:
    """Volume z-scores, relative volume, volume trend, signed volume, money flow and VWAP distance."""
    v = bars.volume
    out: dict[str, np.ndarray] = {}
    for w in (24, 96):
        out[f"vol_z_{w}"] = div(v - window_mean(v, w), window_std(v, w))
    for w in (24, 96):
        out[f"rel_vol_{w}"] = log1p_ratio(v, window_mean(v, w))
    out["vol_trend_6_48"] = log1p_ratio(window_mean(v, 6), window_mean(v, 48))
    out["vol_trend_24_240"] = log1p_ratio(window_mean(v, 24), window_mean(v, 240))
    sum_v24 = window_sum(v, 24)
    signed = np.sign(bars.close - bars.prev_close) * v
    out["signed_vol_24"] = div(window_sum(signed, 24), sum_v24)
    out["money_flow_24"] = div(window_sum(_close_location(bars) * v, 24), sum_v24)
    typical = (bars.high + bars.low + bars.close) / 3.0
    vwap = div(window_sum(typical * v, 24), sum_v24, fallback=np.nan)
    vwap = np.where(sum_v24 > 0, vwap, window_mean(typical, 24))
    out["vwap_dist_24"] = np.log(bars.close / vwap)
    return out


def _close_location(bars: Bars) -> np.ndarray:
    return div(2.0 * bars.close - bars.high - bars.low, bars.hl_range)


def candle(bars: Bars) -> dict[str, np.ndarray]:
    """Body, wicks and close location as fractions of the candle's range; relative range; opening gap."""
    o, h, lo, c, rng = bars.open, bars.high, bars.low, bars.close, bars.hl_range
    body = div(c - o, rng)
    return {
        "body_frac": body,
        "upper_wick_frac": div(h - np.maximum(o, c), rng),
        "lower_wick_frac": div(np.minimum(o, c) - lo, rng),
        "close_location": _close_location(bars),
        "body_frac_mean_6": window_mean(body, 6),
        "range_rel_24": log1p_ratio(bars.log_range, window_mean(bars.log_range, 24)),
        "gap": np.log(o / bars.prev_close),
    }


def corwin_schultz(bars: Bars) -> np.ndarray:
    """Corwin & Schultz (2012) spread estimate (fraction of price) from candles t-1 and t, floored at 0."""
    beta = np.square(bars.log_range) + np.square(shift(bars.log_range, 1))
    high2 = np.maximum(bars.high, shift(bars.high, 1))
    low2 = np.minimum(bars.low, shift(bars.low, 1))
    gamma = np.square(np.log(high2 / low2))
    alpha = (np.sqrt(2.0 * beta) - np.sqrt(beta)) / _CS_K - np.sqrt(gamma / _CS_K)
    ea = np.exp(alpha)
    return np.maximum(2.0 * (ea - 1.0) / (1.0 + ea), 0.0)


def _lag_cov(x: np.ndarray, pairs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Covariance of (x_t, x_t-1) and the std of each over the trailing ``pairs`` rows."""
    y = shift(x, 1)
    mean_x = window_mean(x, pairs)
    mean_y = window_mean(y, pairs)
    cov = window_mean(x * y, pairs) - mean_x * mean_y
    return cov, window_std(x, pairs), window_std(y, pairs)


def microstructure(bars: Bars) -> dict[str, np.ndarray]:
    """Amihud illiquidity ratios, Roll and Corwin-Schultz spread estimates, lag-1 return autocorrelation."""
    abs_r = np.abs(bars.r)
    dollar_v = bars.volume * bars.close
    out: dict[str, np.ndarray] = {}
    for a, b in ((6, 96), (24, 240)):
        num = window_sum(abs_r, a) * window_sum(dollar_v, b)
        den = window_sum(dollar_v, a) * window_sum(abs_r, b)
        out[f"amihud_ratio_{a}_{b}"] = log1p_ratio(num, den)
    cov48, _, _ = _lag_cov(bars.r, 48)
    out["roll_spread_48"] = 2.0 * np.sqrt(np.maximum(-cov48, 0.0))
    spread = corwin_schultz(bars)
    for w in (24, 96):
        out[f"cs_spread_{w}"] = window_mean(spread, w)
    cov96, sx, sy = _lag_cov(bars.r, 96)
    out["autocorr_1_96"] = div(cov96, sx * sy)
    return out

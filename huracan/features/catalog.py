"""The catalog of market features: one :class:`FeatureSpec` per observation column, in column order.

This table is the single source of the column order, of each feature's trailing window and of its
scale; ``docs/features.md`` is rendered from it (``python -m huracan.features.docs``) and a test keeps
the two equal. Notation used in the formulas: O, H, L, C, V are the candle's open, high, low, close
(quote currency) and volume (base asset) at row t (the last closed candle); ``r = ln(C_t / C_{t-1})``;
sums, means, std (population) and max/min run over the trailing window; a ratio whose denominator is
0 takes the stated fallback (0 unless said otherwise). Each column is ``clip(scale * formula, -10, 10)``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeatureSpec:
    """One market-feature column.

    :param name: column name, unique.
    :param group: the family it belongs to (returns, volatility, momentum, volume, candle, microstructure,
        regime, calendar).
    :param formula: the raw formula, in the notation of :mod:`huracan.features.catalog`.
    :param window: number of candles the value at row t depends on, the current one included
        (rows ``t - window + 1 .. t``); a test enforces it.
    :param scale: the multiplier applied to the raw formula before clipping to [-10, 10].
    """

    name: str
    group: str
    formula: str
    window: int
    scale: float


_SIGMA = "sigma96 = std(r over 96)"
_S = FeatureSpec

MARKET_FEATURES: tuple[FeatureSpec, ...] = (
    *(
        _S(f"ret_z_{h}", "returns", f"ln(C_t / C_t-{h}) / (sqrt({h}) * sigma96); {_SIGMA}", max(h + 1, 97), 1.0)
        for h in (1, 2, 4, 8, 16, 32, 64, 128)
    ),
    _S("logret_1", "returns", "r = ln(C_t / C_t-1)", 2, 100.0),
    *(_S(f"rv_{w}", "volatility", f"sqrt(mean(r^2 over {w}))", w + 1, 100.0) for w in (6, 24, 96, 240)),
    *(_S(f"parkinson_{w}", "volatility", f"sqrt(mean(ln(H/L)^2 over {w}) / (4 ln 2))", w, 100.0) for w in (24, 96)),
    *(
        _S(
            f"garman_klass_{w}",
            "volatility",
            f"sqrt(max(0, mean(0.5 ln(H/L)^2 - (2 ln 2 - 1) ln(C/O)^2 over {w})))",
            w,
            100.0,
        )
        for w in (24, 96)
    ),
    _S("rogers_satchell_24", "volatility", "sqrt(max(0, mean(ln(H/C) ln(H/O) + ln(L/C) ln(L/O) over 24)))", 24, 100.0),
    _S("vol_ratio_6_96", "volatility", "ln((rv_6 + 1e-8) / (rv_96 + 1e-8))", 97, 1.0),
    _S("vol_ratio_24_240", "volatility", "ln((rv_24 + 1e-8) / (rv_240 + 1e-8))", 241, 1.0),
    _S("range_1", "volatility", "ln(H / L)", 1, 100.0),
    *(
        _S(
            f"rsi_{w}",
            "momentum",
            f"2 * U / (U + D) - 1; U, D = sum of rises, falls of C over {w} (0 if flat)",
            w + 1,
            1.0,
        )
        for w in (6, 14, 28)
    ),
    _S("macd", "momentum", "(EMA12(C) - EMA26(C)) / C_t; EMAs truncated at 4 spans", 104, 100.0),
    _S("macd_signal", "momentum", "EMA9(macd raw), truncated at 36", 139, 100.0),
    _S("macd_hist", "momentum", "macd raw - macd_signal raw", 139, 100.0),
    _S("bb_pctb_20", "momentum", "(C - (mean - 2 std)) / (4 std) - 0.5 of C over 20 (0 if std = 0)", 20, 1.0),
    _S("bb_width_20", "momentum", "4 std(C) / mean(C) over 20", 20, 10.0),
    _S("bb_pctb_50", "momentum", "(C - (mean - 2 std)) / (4 std) - 0.5 of C over 50 (0 if std = 0)", 50, 1.0),
    _S("stoch_14", "momentum", "(C - min L) / (max H - min L) - 0.5 over 14", 14, 1.0),
    *(
        _S(
            f"atr_frac_{w}",
            "momentum",
            f"mean(TR over {w}) / C_t; TR = max(H - L, |H - C_t-1|, |L - C_t-1|)",
            w + 1,
            100.0,
        )
        for w in (14, 48)
    ),
    *(_S(f"dist_sma_{w}", "momentum", f"ln(C_t / mean(C over {w}))", w, 10.0) for w in (24, 96, 240)),
    *(_S(f"donchian_{w}", "momentum", f"(C - min L) / (max H - min L) - 0.5 over {w}", w, 1.0) for w in (24, 96)),
    _S("drawdown_240", "momentum", "ln(C_t / max(H over 240))", 240, 10.0),
    _S("runup_240", "momentum", "ln(C_t / min(L over 240))", 240, 10.0),
    *(_S(f"vol_z_{w}", "volume", f"(V_t - mean(V)) / std(V) over {w}", w, 1.0) for w in (24, 96)),
    *(
        _S(f"rel_vol_{w}", "volume", f"ln(1 + V_t / mean(V over {w})) - ln 2 (ratio 1 if mean 0)", w, 1.0)
        for w in (24, 96)
    ),
    _S("vol_trend_6_48", "volume", "ln(1 + mean(V over 6) / mean(V over 48)) - ln 2 (ratio 1 if 0)", 48, 1.0),
    _S("vol_trend_24_240", "volume", "ln(1 + mean(V over 24) / mean(V over 240)) - ln 2 (ratio 1 if 0)", 240, 1.0),
    _S("signed_vol_24", "volume", "sum(sign(C_t - C_t-1) V) / sum(V) over 24", 25, 1.0),
    _S("money_flow_24", "volume", "sum(clv V) / sum(V) over 24; clv = (2C - H - L) / (H - L)", 24, 1.0),
    _S("vwap_dist_24", "volume", "ln(C_t / VWAP); VWAP = sum(V (H+L+C)/3) / sum(V) over 24 (mean if no V)", 24, 10.0),
    _S("body_frac", "candle", "(C - O) / (H - L)", 1, 1.0),
    _S("upper_wick_frac", "candle", "(H - max(O, C)) / (H - L)", 1, 1.0),
    _S("lower_wick_frac", "candle", "(min(O, C) - L) / (H - L)", 1, 1.0),
    _S("close_location", "candle", "(2C - H - L) / (H - L)", 1, 1.0),
    _S("body_frac_mean_6", "candle", "mean(body_frac over 6)", 6, 1.0),
    _S("range_rel_24", "candle", "ln(1 + ln(H/L) / mean(ln(H/L) over 24)) - ln 2 (ratio 1 if mean 0)", 24, 1.0),
    _S("gap", "candle", "ln(O_t / C_t-1)", 2, 1000.0),
    *(
        _S(
            f"amihud_ratio_{a}_{b}",
            "microstructure",
            f"ln(1 + A_{a} / A_{b}) - ln 2; A_w = sum(|r|) / sum(V C) over w (Amihud illiquidity)",
            b + 1,
            1.0,
        )
        for a, b in ((6, 96), (24, 240))
    ),
    _S("roll_spread_48", "microstructure", "2 sqrt(max(0, -cov(r_t, r_t-1) over 48)) (Roll)", 50, 100.0),
    *(
        _S(
            f"cs_spread_{w}",
            "microstructure",
            f"mean(max(0, S) over {w}); S = Corwin-Schultz two-candle spread estimate",
            w + 1,
            100.0,
        )
        for w in (24, 96)
    ),
    _S("autocorr_1_96", "microstructure", "corr(r_t, r_t-1) over 96", 98, 1.0),
    _S("trend_24_96", "regime", "ln(mean(C over 24) / mean(C over 96))", 96, 10.0),
    _S("trend_96_240", "regime", "ln(mean(C over 96) / mean(C over 240))", 240, 10.0),
    *(
        _S(f"efficiency_{w}", "regime", f"|ln(C_t / C_t-{w})| / sum(|r| over {w}) (Kaufman)", w + 1, 1.0)
        for w in (24, 96)
    ),
    _S("vol_regime_z", "regime", "(rv_24 - mean(rv_24)) / std(rv_24) over 240 values of rv_24", 264, 1.0),
    _S(
        "variance_ratio_16",
        "regime",
        "ln(1 + VR) - ln 2; VR = mean(ln(C_t/C_t-16)^2) / (16 mean(r^2)) over 224 (VR 1 if 0)",
        240,
        1.0,
    ),
    _S("up_frac_24", "regime", "2 * mean(r > 0 over 24) - 1", 25, 1.0),
    _S("skew_96", "regime", "mean((r - mean r)^3) / std(r)^3 over 96", 97, 1.0),
    _S("hour_sin", "calendar", "sin(2 pi tod); tod = (close time mod 1 d) / 1 d; 0 if timeframe >= 1d", 1, 1.0),
    _S("hour_cos", "calendar", "cos(2 pi tod); 0 if timeframe >= 1d", 1, 1.0),
    _S("minute_sin", "calendar", "sin(2 pi moh); moh = (close time mod 1 h) / 1 h; 0 if timeframe >= 1h", 1, 1.0),
    _S("minute_cos", "calendar", "cos(2 pi moh); 0 if timeframe >= 1h", 1, 1.0),
    _S("dow_sin", "calendar", "sin(2 pi dow / 7); dow = days since Monday 00:00 UTC of the close time", 1, 1.0),
    _S("dow_cos", "calendar", "cos(2 pi dow / 7)", 1, 1.0),
    _S("weekend", "calendar", "1 if the close time falls on Saturday or Sunday (UTC), else 0", 1, 1.0),
)
"""Every market-feature column, in observation order."""

MARKET_FEATURE_NAMES: tuple[str, ...] = tuple(spec.name for spec in MARKET_FEATURES)
N_MARKET_FEATURES: int = len(MARKET_FEATURES)
LOOKBACK_ROWS: int = max(spec.window for spec in MARKET_FEATURES)
"""Candles a full observation row depends on: row t uses candles ``t - LOOKBACK_ROWS + 1 .. t``."""
WARMUP_ROWS: int = LOOKBACK_ROWS - 1
"""Index of the first row whose market features are all finite; earlier rows are NaN."""
FEATURE_CLIP: float = 10.0
"""Every scaled feature is clipped to ``[-FEATURE_CLIP, FEATURE_CLIP]``."""

if N_MARKET_FEATURES != 77 or len(set(MARKET_FEATURE_NAMES)) != N_MARKET_FEATURES:  # pragma: no cover
    raise RuntimeError(f"the catalog must hold 77 uniquely named features, holds {N_MARKET_FEATURES}")

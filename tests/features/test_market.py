"""The market-feature matrix: no look-ahead, exact locality, declared windows, warm-up, finiteness, scale."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huracan.features import docs
from huracan.features.candles import CandleFrameError
from huracan.features.catalog import (
    FEATURE_CLIP,
    LOOKBACK_ROWS,
    MARKET_FEATURE_NAMES,
    MARKET_FEATURES,
    N_MARKET_FEATURES,
    WARMUP_ROWS,
)
from huracan.features.market import build_market_features, infer_timeframe
from huracan.features.synthetic import random_walk_candles

N_ROWS = LOOKBACK_ROWS + 60
COL = {name: j for j, name in enumerate(MARKET_FEATURE_NAMES)}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return random_walk_candles(N_ROWS, seed=11)


@pytest.fixture(scope="module")
def features(frame: pd.DataFrame) -> np.ndarray:
    return build_market_features(frame)


def test_catalog_has_77_named_columns_and_the_documented_warmup() -> None:
    assert N_MARKET_FEATURES == 77 == len(set(MARKET_FEATURE_NAMES))
    assert LOOKBACK_ROWS == 264 and WARMUP_ROWS == 263
    assert {spec.group for spec in MARKET_FEATURES} == {
        "returns",
        "volatility",
        "momentum",
        "volume",
        "candle",
        "microstructure",
        "regime",
        "calendar",
    }


def test_docs_table_is_the_rendered_catalog() -> None:
    path = Path(__file__).resolve().parents[2] / "docs" / "features.md"
    assert path.read_text(encoding="utf-8") == docs.render(), "run: python -m huracan.features.docs > docs/features.md"


def test_warmup_rows_are_nan_and_every_later_value_finite_and_clipped(features: np.ndarray) -> None:
    assert features.shape == (N_ROWS, 77) and features.dtype == np.float32
    assert np.isnan(features[:WARMUP_ROWS]).all()
    later = features[WARMUP_ROWS:]
    assert np.isfinite(later).all()
    assert (np.abs(later) <= FEATURE_CLIP).all()


def test_fewer_candles_than_the_lookback_are_refused(frame: pd.DataFrame) -> None:
    with pytest.raises(CandleFrameError, match=f"at least {LOOKBACK_ROWS}"):
        build_market_features(frame.iloc[: LOOKBACK_ROWS - 1])


def _replace_candle(frame: pd.DataFrame, row: int, data: st.DataObject) -> pd.DataFrame:
    """``frame`` with candle ``row`` replaced by an arbitrary valid candle."""
    ref = float(frame.close.iloc[row])
    o, c = (ref * data.draw(st.floats(0.5, 2.0)) for _ in range(2))
    high = max(o, c) * data.draw(st.floats(1.0, 1.5))
    low = min(o, c) / data.draw(st.floats(1.0, 1.5))
    volume = data.draw(st.sampled_from([0.0, 1e-3, 1e4])) * data.draw(st.floats(0.0, 10.0))
    out = frame.copy()
    out.iloc[row] = [o, high, low, c, volume]
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_look_ahead_changing_later_candles_never_changes_earlier_rows(
    frame: pd.DataFrame, features: np.ndarray, data: st.DataObject
) -> None:
    t = data.draw(st.integers(0, N_ROWS - 2), label="t")
    if data.draw(st.booleans(), label="replace every later candle"):
        other = random_walk_candles(
            N_ROWS, seed=data.draw(st.integers(0, 10_000)), start_price_quote=float(frame.close.iloc[t])
        )
        changed = frame.copy()
        changed.iloc[t + 1 :] = other.iloc[t + 1 :].to_numpy()
    else:
        changed = _replace_candle(frame, data.draw(st.integers(t + 1, N_ROWS - 1), label="row"), data)
    np.testing.assert_array_equal(build_market_features(changed, "1h")[: t + 1], features[: t + 1])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(t=st.integers(WARMUP_ROWS, N_ROWS - 1))
def test_a_row_built_from_its_last_264_candles_alone_is_bit_identical(
    frame: pd.DataFrame, features: np.ndarray, t: int
) -> None:
    window = frame.iloc[t - WARMUP_ROWS : t + 1]
    np.testing.assert_array_equal(build_market_features(window)[-1], features[t])


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_each_feature_ignores_candles_older_than_its_declared_window(
    frame: pd.DataFrame, features: np.ndarray, data: st.DataObject
) -> None:
    t = N_ROWS - 1
    for window in sorted({spec.window for spec in MARKET_FEATURES}):
        if window >= LOOKBACK_ROWS:
            continue
        changed = build_market_features(_replace_candle(frame, t - window, data), "1h")[t]
        inside = [j for j, spec in enumerate(MARKET_FEATURES) if spec.window <= window]
        np.testing.assert_array_equal(changed[inside], features[t, inside], err_msg=f"window {window}")


@st.composite
def odd_candles(draw: st.DrawFn) -> pd.DataFrame:
    """Valid but awkward candles: flat stretches, zero volume, jumps, tiny and huge price levels."""
    n = LOOKBACK_ROWS + draw(st.integers(1, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    level = draw(st.sampled_from([1e-8, 1.0, 7_000.0, 1e9]))
    log_ret = rng.normal(0, draw(st.sampled_from([0.0, 1e-9, 0.01, 0.3])), n)
    jumps = rng.random(n) < draw(st.sampled_from([0.0, 0.02]))
    log_ret[jumps] += rng.choice([-3.0, 3.0], jumps.sum())
    flat = rng.random(n) < draw(st.sampled_from([0.0, 0.5, 1.0]))
    log_ret[flat] = 0.0
    close = level * np.exp(np.cumsum(log_ret))
    open_ = np.r_[level, close[:-1]]
    wick = np.where(flat, 0.0, np.abs(rng.normal(0, 0.01, n)))
    high = np.maximum(open_, close) * np.exp(wick)
    low = np.minimum(open_, close) * np.exp(-wick)
    volume = rng.lognormal(0, 2, n) * (rng.random(n) > draw(st.sampled_from([0.0, 0.5, 1.0])))
    index = pd.date_range(
        "2024-01-01", periods=n, freq=draw(st.sampled_from(["1min", "4h", "1D"])), tz="UTC", name="open_time"
    )
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index)


@settings(max_examples=40, deadline=None)
@given(candles=odd_candles())
def test_every_feature_is_finite_after_the_warmup_on_awkward_candles(candles: pd.DataFrame) -> None:
    out = build_market_features(candles)
    assert np.isfinite(out[WARMUP_ROWS:]).all()
    assert np.isnan(out[:WARMUP_ROWS]).all()


@pytest.mark.parametrize(("price_factor", "volume_factor"), [(1e-4, 1.0), (1000.0, 1.0), (1.0, 1e-3), (3.7, 250.0)])
def test_features_are_scale_free(
    frame: pd.DataFrame, features: np.ndarray, price_factor: float, volume_factor: float
) -> None:
    scaled = frame.copy()
    scaled[["open", "high", "low", "close"]] *= price_factor
    scaled["volume"] *= volume_factor
    np.testing.assert_allclose(
        build_market_features(scaled)[WARMUP_ROWS:], features[WARMUP_ROWS:], rtol=1e-4, atol=1e-4
    )


def test_features_match_their_formulas_at_the_last_row(frame: pd.DataFrame, features: np.ndarray) -> None:
    o, h, lo, c, v = (frame[col].to_numpy() for col in ("open", "high", "low", "close", "volume"))
    t = N_ROWS - 1
    r = np.diff(np.log(c))  # r[t - 1] is the return of row t

    def last(n: int, x: np.ndarray) -> np.ndarray:
        return x[len(x) - n :]

    sigma96 = np.std(last(96, r))
    change = np.diff(c)
    up, down = last(14, np.maximum(change, 0)).sum(), last(14, np.maximum(-change, 0)).sum()
    tr = np.maximum(h[1:] - lo[1:], np.maximum(np.abs(h[1:] - c[:-1]), np.abs(lo[1:] - c[:-1])))
    c20 = last(20, c)
    pair = last(48, r[1:] * r[:-1]).mean() - last(48, r[1:]).mean() * last(48, r[:-1]).mean()
    expected = {
        "ret_z_16": np.log(c[t] / c[t - 16]) / (4 * sigma96),
        "logret_1": 100 * r[-1],
        "rv_24": 100 * np.sqrt(np.mean(last(24, r) ** 2)),
        "parkinson_24": 100 * np.sqrt(np.mean(np.log(last(24, h) / last(24, lo)) ** 2) / (4 * np.log(2))),
        "rsi_14": 2 * up / (up + down) - 1,
        "bb_pctb_20": (c[t] - (c20.mean() - 2 * c20.std())) / (4 * c20.std()) - 0.5,
        "stoch_14": (c[t] - last(14, lo).min()) / (last(14, h).max() - last(14, lo).min()) - 0.5,
        "atr_frac_14": 100 * last(14, tr).mean() / c[t],
        "dist_sma_96": 10 * np.log(c[t] / last(96, c).mean()),
        "drawdown_240": 10 * np.log(c[t] / last(240, h).max()),
        "vol_z_24": (v[t] - last(24, v).mean()) / last(24, v).std(),
        "rel_vol_96": np.log1p(v[t] / last(96, v).mean()) - np.log(2),
        "signed_vol_24": (np.sign(last(24, change)) * last(24, v)).sum() / last(24, v).sum(),
        "body_frac": (c[t] - o[t]) / (h[t] - lo[t]),
        "close_location": (2 * c[t] - h[t] - lo[t]) / (h[t] - lo[t]),
        "gap": 1000 * np.log(o[t] / c[t - 1]),
        "roll_spread_48": 100 * 2 * np.sqrt(max(0.0, -pair)),
        "efficiency_24": abs(np.log(c[t] / c[t - 24])) / np.abs(last(24, r)).sum(),
        "up_frac_24": 2 * np.mean(last(24, r) > 0) - 1,
        "trend_96_240": 10 * np.log(last(96, c).mean() / last(240, c).mean()),
    }
    for name, value in expected.items():
        assert features[t, COL[name]] == pytest.approx(np.clip(value, -10, 10), rel=1e-5, abs=1e-6), name


def test_calendar_features_use_the_decision_time() -> None:
    # A 1h candle opening Saturday 2024-01-06 10:00 UTC is decided on at 11:00 UTC, Saturday.
    index = pd.date_range(end="2024-01-06 10:00", periods=LOOKBACK_ROWS, freq="1h", tz="UTC", name="open_time")
    candles = random_walk_candles(LOOKBACK_ROWS).set_axis(index)
    row = build_market_features(candles)[-1]
    tod = 11 / 24
    assert row[COL["hour_sin"]] == pytest.approx(np.sin(2 * np.pi * tod), abs=1e-6)
    assert row[COL["hour_cos"]] == pytest.approx(np.cos(2 * np.pi * tod), abs=1e-6)
    assert row[COL["dow_sin"]] == pytest.approx(np.sin(2 * np.pi * (5 + tod) / 7), abs=1e-6)
    assert row[COL["weekend"]] == 1.0
    assert row[COL["minute_sin"]] == 0.0 and row[COL["minute_cos"]] == 0.0  # constant for 1h candles
    daily = random_walk_candles(LOOKBACK_ROWS, timeframe="1d")  # 2020-01-01 is a Wednesday
    day_row = build_market_features(daily)[-1]
    assert day_row[COL["hour_sin"]] == 0.0 and day_row[COL["hour_cos"]] == 0.0
    five = random_walk_candles(LOOKBACK_ROWS, timeframe="5m")  # last opens 21:55, decided at 22:00
    five_row = build_market_features(five)[-1]
    assert five_row[COL["minute_sin"]] == pytest.approx(0.0, abs=1e-6)
    assert five_row[COL["hour_sin"]] == pytest.approx(np.sin(2 * np.pi * 22 / 24), abs=1e-6)


def test_timeframe_is_inferred_from_the_first_rows_despite_gaps(frame: pd.DataFrame) -> None:
    assert infer_timeframe(frame.drop(frame.index[5:9])).name == "1h"
    odd = frame.set_axis(frame.index[0] + pd.to_timedelta(np.arange(len(frame)) * 7, unit="min"))
    with pytest.raises(CandleFrameError, match="420000 ms is not a supported timeframe"):
        build_market_features(odd)
    assert np.isfinite(build_market_features(odd, timeframe="1h")[WARMUP_ROWS:]).all()


def test_real_btc_candles(shared_data: Path) -> None:
    raw = pd.read_csv(shared_data / "binance_BTC-USDT_1h.csv")
    index = pd.DatetimeIndex(pd.to_datetime(raw.pop("timestamp"), unit="ms", utc=True), name="open_time")
    candles = raw.astype("float64").set_axis(index)
    out = build_market_features(candles)
    assert np.isfinite(out[WARMUP_ROWS:]).all()
    for t in (WARMUP_ROWS, len(candles) // 2, len(candles) - 1):
        np.testing.assert_array_equal(build_market_features(candles.iloc[t - WARMUP_ROWS : t + 1])[-1], out[t])

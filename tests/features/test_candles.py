"""The candle-frame domain check names what is wrong and never repairs anything."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from huracan.features.candles import CandleFrameError, check_candles, open_times_ms
from huracan.features.synthetic import random_walk_candles


@pytest.fixture
def frame() -> pd.DataFrame:
    return random_walk_candles(50, seed=3)


def test_a_valid_frame_passes(frame: pd.DataFrame) -> None:
    check_candles(frame)
    assert isinstance(CandleFrameError("x"), ValueError)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: f.iloc[::-1], "strictly increasing"),
        (lambda f: pd.concat([f.iloc[:10], f.iloc[9:]]), "strictly increasing"),
        (lambda f: f.tz_convert(None), "tz-aware UTC"),
        (lambda f: f.tz_convert("Europe/Madrid"), "tz-aware UTC"),
        (lambda f: f.reset_index(drop=True), "DatetimeIndex"),
        (lambda f: f.drop(columns="volume"), "lack column"),
        (lambda f: f.astype({"close": "float32"}), "float64"),
        (lambda f: f.assign(close=f.close.where(f.index != f.index[7], np.nan)), "close is NaN"),
        (lambda f: f.assign(open=f.open.where(f.index != f.index[7], np.inf)), "open is NaN or infinite"),
        (lambda f: f.assign(high=f.low - 1.0), "high < low"),
        (lambda f: f.assign(low=f.low.where(f.index != f.index[3], f.high.iloc[3])), "low > open or low > close"),
        (lambda f: f.assign(high=f.high.where(f.index != f.index[3], f.low.iloc[3])), "high"),
        (lambda f: f.assign(volume=f.volume.where(f.index != f.index[5], -1.0)), "volume must be >= 0"),
        (lambda f: f.assign(low=0.0, open=f.open), "low must be > 0"),
    ],
)
def test_each_broken_contract_is_named(frame: pd.DataFrame, damage, message: str) -> None:
    with pytest.raises(CandleFrameError, match=message):
        check_candles(damage(frame))


def test_the_failing_rows_are_listed(frame: pd.DataFrame) -> None:
    bad = frame.assign(volume=np.where(np.arange(len(frame)) % 7 == 0, -1.0, frame.volume))
    with pytest.raises(CandleFrameError, match=r"8 row\(s\) \(open_time 2020-01-01 00:00:00\+00:00, .* and 3 more\)"):
        check_candles(bad)


def test_too_few_rows_and_not_a_frame(frame: pd.DataFrame) -> None:
    with pytest.raises(CandleFrameError, match="50 rows; at least 51"):
        check_candles(frame, min_rows=51)
    with pytest.raises(CandleFrameError, match="DataFrame"):
        check_candles(frame.close)  # type: ignore[arg-type]


def test_open_times_are_ms_whatever_the_index_unit(frame: pd.DataFrame) -> None:
    expected = 1_577_836_800_000 + 3_600_000 * np.arange(3)
    for unit in ("s", "ms", "us", "ns"):
        converted = frame.iloc[:3].set_axis(frame.index[:3].as_unit(unit))
        np.testing.assert_array_equal(open_times_ms(converted), expected)

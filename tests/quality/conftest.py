"""Fixtures of the data-quality tests: clean simulated candle frames and default thresholds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from huracan.config import Settings
from huracan.market.emulator import SimulatedSeries
from huracan.quality import QualityThresholds
from huracan.timeframes import Timeframe

#: 2024-01-01 00:00 UTC, on every grid up to 1d.
START_MS = 1_704_067_200_000

CandleFactory = Callable[..., pd.DataFrame]


def simulated_frame(n: int, timeframe: str = "1h", start_ms: int = START_MS, seed: int = 7) -> pd.DataFrame:
    """``n`` clean candles of the simulated market as a candle frame (what CandleStore.read returns)."""
    tf = Timeframe.parse(timeframe)
    columns = SimulatedSeries(seed, "BTC/USDT", tf, start_ms).columns(0, n)
    ts = start_ms + np.arange(n, dtype=np.int64) * tf.ms
    index = pd.DatetimeIndex(pd.to_datetime(ts, unit="ms", utc=True), name="open_time")
    return pd.DataFrame({name: columns[name] for name in ("open", "high", "low", "close", "volume")}, index=index)


@pytest.fixture(scope="session")
def candles() -> CandleFactory:
    """A factory of clean simulated candle frames: ``candles(n, timeframe="1h", start_ms=START_MS)``."""
    return simulated_frame


@pytest.fixture
def thresholds(tmp_path: Path) -> QualityThresholds:
    """The default training thresholds (coverage >= 0.99, longest gap <= 3, >= 500 rows)."""
    return QualityThresholds.from_settings(Settings(home=tmp_path / "home"), "training")

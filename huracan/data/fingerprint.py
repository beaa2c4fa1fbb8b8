"""The data fingerprint: identity of a run of candles, beside the store that holds them.

Training logs it with every MLflow run (so a model traces to the exact candles it saw) and the
quality gate records it with every validation (so "unchanged since validation" means the same
content, not merely the same row count).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from huracan.series import CANDLE_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

    from huracan.series import SeriesKey


@dataclass(frozen=True)
class DataFingerprint:
    """Identity of a candle frame.

    :param exchange: ccxt exchange id of the series.
    :param symbol: unified symbol ("BTC/USDT").
    :param timeframe: timeframe name ("1d").
    :param first_ms: open time of the first candle, ms UTC.
    :param last_ms: open time of the last candle, ms UTC.
    :param rows: number of candles.
    :param sha256: :func:`content_sha256` of the frame.
    """

    exchange: str
    symbol: str
    timeframe: str
    first_ms: int
    last_ms: int
    rows: int
    sha256: str


def content_sha256(candles: pd.DataFrame) -> str:
    """Hex SHA-256 of the open times (int64 ms) followed by open, high, low, close, volume (float64),
    each as little-endian bytes, column after column. An empty frame has the hash of no bytes."""
    open_ms = candles.index.as_unit("ms").asi8.astype("<i8")
    digest = hashlib.sha256(np.ascontiguousarray(open_ms).tobytes())
    for name in CANDLE_COLUMNS:
        digest.update(np.ascontiguousarray(candles[name].to_numpy(dtype="<f8")).tobytes())
    return digest.hexdigest()


def fingerprint(key: SeriesKey, candles: pd.DataFrame) -> DataFingerprint:
    """The fingerprint of ``candles`` (a candle frame, at least one row) of the series ``key``."""
    if len(candles) == 0:
        raise ValueError(f"cannot fingerprint an empty frame of {key}")
    open_ms = candles.index.as_unit("ms").asi8
    return DataFingerprint(
        exchange=key.exchange,
        symbol=key.symbol,
        timeframe=key.timeframe,
        first_ms=int(open_ms[0]),
        last_ms=int(open_ms[-1]),
        rows=len(candles),
        sha256=content_sha256(candles),
    )

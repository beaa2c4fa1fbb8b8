"""The candle frame: the one input of the observation builder and the trading env.

A candle frame is a pandas DataFrame whose index is a UTC :class:`pandas.DatetimeIndex` of candle OPEN
times, named ``open_time`` and strictly increasing, with float64 columns ``open, high, low, close,
volume`` (prices in quote currency, volume in base asset), as the candle store returns it.
:func:`check_candles` checks that contract and raises :class:`CandleFrameError` naming the first
problem it finds; nothing here ever repairs a frame (see the architecture's principle 6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from huracan.errors import HuracanError
from huracan.series import CANDLE_COLUMNS  # the columns a candle frame must have (extra ones are ignored)

if TYPE_CHECKING:
    import pandas as pd


_MAX_LISTED = 5


class CandleFrameError(HuracanError, ValueError):
    """A candle frame breaks the contract of :mod:`huracan.features.candles`; the message says where."""


def _rows(frame: pd.DataFrame, mask: np.ndarray) -> str:
    bad = np.flatnonzero(mask)
    shown = ", ".join(str(frame.index[i]) for i in bad[:_MAX_LISTED])
    more = f" and {len(bad) - _MAX_LISTED} more" if len(bad) > _MAX_LISTED else ""
    return f"{len(bad)} row(s) (open_time {shown}{more})"


def check_candles(frame: pd.DataFrame, min_rows: int = 1) -> None:
    """Raise :class:`CandleFrameError` unless ``frame`` is a valid candle frame.

    Checked, in this order: it is a DataFrame with at least ``min_rows`` rows; the index is a
    tz-aware UTC DatetimeIndex, strictly increasing (so no duplicates); the columns
    ``open, high, low, close, volume`` exist and are float64; every value is finite; prices are > 0;
    ``low <= min(open, close)`` and ``high >= max(open, close)``; ``volume >= 0``.

    :param frame: the candle frame.
    :param min_rows: the fewest rows accepted (the feature builder asks for its warm-up plus one).
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise CandleFrameError(f"candles must be a pandas DataFrame, got {type(frame).__name__}")
    if len(frame) < min_rows:
        raise CandleFrameError(f"candles have {len(frame)} rows; at least {min_rows} are needed")
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex):
        raise CandleFrameError(f"candle index must be a DatetimeIndex of open times, got {type(index).__name__}")
    if index.tz is None or str(index.tz) != "UTC":
        raise CandleFrameError(f"candle index must be tz-aware UTC, got tz={index.tz}")
    if len(index) > 1:
        steps = np.diff(index.asi8)
        if (steps <= 0).any():
            first = int(np.flatnonzero(steps <= 0)[0])
            raise CandleFrameError(
                f"candle index must be strictly increasing: open_time {index[first + 1]} "
                f"(row {first + 1}) follows {index[first]} (row {first})"
            )
    missing = [c for c in CANDLE_COLUMNS if c not in frame.columns]
    if missing:
        raise CandleFrameError(f"candles lack column(s) {missing}; needed: {list(CANDLE_COLUMNS)}")
    wrong = {c: str(frame[c].dtype) for c in CANDLE_COLUMNS if frame[c].dtype != np.float64}
    if wrong:
        raise CandleFrameError(f"candle columns must be float64, got {wrong}")
    values = {c: frame[c].to_numpy() for c in CANDLE_COLUMNS}
    for name, column in values.items():
        bad = ~np.isfinite(column)
        if bad.any():
            raise CandleFrameError(f"{name} is NaN or infinite in {_rows(frame, bad)}")
    for name in ("open", "high", "low", "close"):
        bad = values[name] <= 0.0
        if bad.any():
            raise CandleFrameError(f"{name} must be > 0 (quote currency); not so in {_rows(frame, bad)}")
    o, h, low, c, v = (values[name] for name in CANDLE_COLUMNS)
    bad = h < low
    if bad.any():
        raise CandleFrameError(f"high < low in {_rows(frame, bad)}")
    bad = (low > o) | (low > c)
    if bad.any():
        raise CandleFrameError(f"low > open or low > close in {_rows(frame, bad)}")
    bad = (h < o) | (h < c)
    if bad.any():
        raise CandleFrameError(f"high < open or high < close in {_rows(frame, bad)}")
    bad = v < 0.0
    if bad.any():
        raise CandleFrameError(f"volume must be >= 0 (base asset); negative in {_rows(frame, bad)}")


def open_times_ms(frame: pd.DataFrame) -> np.ndarray:
    """Candle open times as int64 ms UTC, whatever the index's resolution (pandas 3 defaults to µs)."""
    return np.asarray(frame.index.as_unit("ms").asi8, dtype=np.int64)


def candle_arrays(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The columns ``open, high, low, close, volume`` as contiguous float64 arrays (no check)."""
    return tuple(np.ascontiguousarray(frame[c].to_numpy(dtype=np.float64)) for c in CANDLE_COLUMNS)  # type: ignore[return-value]

"""The market part of the observation: 77 scale-free features per decision time, built from candles.

Row t of :func:`build_market_features` describes the market when candle t has closed (the decision
time, ``open_time[t] + timeframe``). It uses candles ``t - LOOKBACK_ROWS + 1 .. t`` only: never a later
candle (no look-ahead) and, bit for bit, never an earlier one, so live inference on the latest
``LOOKBACK_ROWS`` candles sees exactly the row a backtest on the full history sees. Nothing is fitted
on the data. Rows before ``WARMUP_ROWS`` are NaN; every later row is finite (enforced: a non-finite value
there raises). The columns are listed in :mod:`huracan.features.catalog` and ``docs/features.md``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from huracan.features import flow, price, regime
from huracan.features.bars import Bars
from huracan.features.candles import CandleFrameError, candle_arrays, check_candles, open_times_ms
from huracan.features.catalog import FEATURE_CLIP, LOOKBACK_ROWS, MARKET_FEATURES, N_MARKET_FEATURES, WARMUP_ROWS
from huracan.timeframes import TIMEFRAME_MS, Timeframe

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)


def infer_timeframe(candles: pd.DataFrame) -> Timeframe:
    """The timeframe of ``candles``: the smallest spacing between open times among the first
    ``LOOKBACK_ROWS`` rows (gaps only make spacings larger; later rows are not looked at, so appending
    candles never changes it). Raises :class:`CandleFrameError` if that spacing is not a supported timeframe.
    """
    head_ms = open_times_ms(candles.iloc[:LOOKBACK_ROWS])
    if len(head_ms) < 2:
        raise CandleFrameError("cannot infer the timeframe from fewer than 2 candles; pass timeframe=")
    step_ms = int(np.diff(head_ms).min())
    for name, ms in TIMEFRAME_MS.items():
        if ms == step_ms:
            return Timeframe(name, ms)
    raise CandleFrameError(f"candle spacing of {step_ms} ms is not a supported timeframe; pass timeframe=")


def resolve_timeframe(candles: pd.DataFrame, timeframe: str | Timeframe | None) -> Timeframe:
    """``timeframe`` parsed if given, else inferred from ``candles`` (see :func:`infer_timeframe`)."""
    if timeframe is None:
        return infer_timeframe(candles)
    return timeframe if isinstance(timeframe, Timeframe) else Timeframe.parse(timeframe)


def _raw_features(bars: Bars, close_ms: np.ndarray, timeframe_ms: int) -> dict[str, np.ndarray]:
    raw: dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for group in (price.returns, price.volatility, price.momentum, flow.volume, flow.candle, flow.microstructure):
            raw.update(group(bars))
        raw.update(regime.regime(bars))
    raw.update(regime.calendar(close_ms, timeframe_ms))
    return raw


def build_market_features(
    candles: pd.DataFrame,
    timeframe: str | Timeframe | None = None,
    *,
    check: bool = True,
) -> np.ndarray:
    """The market-feature matrix of ``candles``: shape ``(len(candles), 77)``, float32.

    Column j is ``clip(scale_j * formula_j, -10, 10)`` for ``MARKET_FEATURES[j]``; rows ``< WARMUP_ROWS``
    are NaN, later rows are finite.

    :param candles: a candle frame (see :mod:`huracan.features.candles`) of at least ``LOOKBACK_ROWS``
        rows, so that at least one row is complete.
    :param timeframe: the candles' timeframe ("1h", a :class:`Timeframe`); ``None`` infers it from the
        first rows. It only matters for the calendar features.
    :param check: validate the frame with :func:`check_candles` first (turn off only for a frame that
        was just checked).
    """
    if check:
        check_candles(candles, min_rows=LOOKBACK_ROWS)
    elif len(candles) < LOOKBACK_ROWS:
        raise CandleFrameError(f"candles have {len(candles)} rows; at least {LOOKBACK_ROWS} are needed")
    tf = resolve_timeframe(candles, timeframe)
    open_ms = open_times_ms(candles)
    gaps = int((np.diff(open_ms) != tf.ms).sum())
    if gaps:
        logger.warning("candles have %d gap(s) in their %s grid; features span the gaps as if absent", gaps, tf)
    bars = Bars(*candle_arrays(candles))
    raw = _raw_features(bars, open_ms + tf.ms, tf.ms)
    if set(raw) != {spec.name for spec in MARKET_FEATURES}:  # pragma: no cover - a catalog/code mismatch
        raise RuntimeError(
            f"features computed and catalogued differ: {sorted(set(raw) ^ {s.name for s in MARKET_FEATURES})}"
        )
    out = np.empty((len(candles), N_MARKET_FEATURES), dtype=np.float32)
    for j, spec in enumerate(MARKET_FEATURES):
        np.clip(raw[spec.name] * spec.scale, -FEATURE_CLIP, FEATURE_CLIP, out=out[:, j], casting="same_kind")
    out[:WARMUP_ROWS] = np.nan
    finite = np.isfinite(out[WARMUP_ROWS:])
    if not finite.all():  # pragma: no cover - every formula is guarded; this is the enforcement
        row, col = np.argwhere(~finite)[0]
        raise RuntimeError(
            f"feature {MARKET_FEATURES[col].name} is not finite at row {WARMUP_ROWS + row} "
            f"(open_time {candles.index[WARMUP_ROWS + row]}) after the warm-up of {WARMUP_ROWS} rows"
        )
    return out

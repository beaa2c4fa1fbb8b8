"""Data-quality gate benchmark: the whole gate on 100,000 clean 1h candles of the simulated market.

Prints seconds (median of repeated runs, after one warm-up run that builds the GX context and loads the
suite, whose cost is printed too) for:

- the gate: :func:`huracan.quality.validate_frame`, i.e. the GX suite (``expectations/candles.json``,
  19 expectations) plus the coverage, gap, staleness and outlier checks, without Data Docs. Target: < 0.5 s;
- the same gate on 100 candles: GX's fixed cost per validation, whatever the data size;
- the reference, measured in the same run on the same candles: the same checks written directly in
  numpy/pandas (no GX), the floor any implementation pays;
- for information, what ``huracan validate`` adds around the gate: reading the candles from a SQLite
  store, and writing the reports with Data Docs.

Usage: ``.venv/bin/python bench/validate.py``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from huracan.config import Settings
from huracan.data.candle_store import CandleStore, SeriesKey
from huracan.market.emulator import SimulatedSeries
from huracan.quality import QualityThresholds, validate_frame, validate_series
from huracan.quality.checks import freshness, log_return_outliers
from huracan.quality.coverage import compute_coverage
from huracan.timeframes import Timeframe

CANDLES = 100_000
START_MS = 1_577_836_800_000  # 2020-01-01
TF = Timeframe.parse("1h")
KEY = SeriesKey("binance", "BTC/USDT", TF.name)
REPEATS = 7
TARGET_S = 0.5


def simulated(n: int) -> pd.DataFrame:
    columns = SimulatedSeries(5, KEY.symbol, TF, START_MS).columns(0, n)
    ts = START_MS + np.arange(n, dtype=np.int64) * TF.ms
    index = pd.DatetimeIndex(pd.to_datetime(ts, unit="ms", utc=True), name="open_time")
    return pd.DataFrame({c: columns[c] for c in ("open", "high", "low", "close", "volume")}, index=index)


def median_s(run: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def plain_checks(frame: pd.DataFrame, thresholds: QualityThresholds, as_of_ms: int) -> bool:
    """The gate's checks in numpy/pandas, without GX (the reference)."""
    ts = frame.index.as_unit("ms").asi8
    o, h, lo, c, v = (frame[name].to_numpy() for name in ("open", "high", "low", "close", "volume"))
    ok = not frame.isna().any().any() and not frame.index.hasnans
    ok &= bool(frame.index.is_unique and frame.index.is_monotonic_increasing)
    ok &= not (ts % TF.ms).any()
    ok &= bool((h >= np.fmax(o, c)).all() and (np.fmin(o, c) >= lo).all() and (h >= lo).all())
    ok &= bool((lo > 0).all() and (v >= 0).all() and len(frame) >= thresholds.min_rows)
    coverage = compute_coverage(ts, TF.ms, int(ts[0]), int(ts[-1]))
    ok &= coverage.coverage >= thresholds.min_coverage and coverage.longest_gap <= thresholds.max_gap_candles
    fresh = freshness(ts, TF.ms, as_of_ms)
    outliers = log_return_outliers(
        ts, c, thresholds.outlier_window, thresholds.outlier_mad_k, thresholds.outlier_min_log_return
    )
    return ok and fresh.age_candles is not None and len(outliers) >= 0


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home))
        thresholds = QualityThresholds.from_settings(settings)
        frame = simulated(CANDLES)
        as_of_ms = START_MS + CANDLES * TF.ms + 60_000

        def gate() -> object:
            return validate_frame(frame, KEY, thresholds=thresholds, as_of_ms=as_of_ms)

        started = time.perf_counter()
        first = gate()
        first_s = time.perf_counter() - started
        assert first.success, first.summary()  # type: ignore[attr-defined]
        gate_s = median_s(gate)
        small = frame.iloc[:100]
        small_s = median_s(
            lambda: validate_frame(small, KEY, thresholds=thresholds.with_overrides(min_rows=1), as_of_ms=as_of_ms)
        )
        plain_s = median_s(lambda: plain_checks(frame, thresholds, as_of_ms))

        store = CandleStore.open(settings.store_url)
        ts = frame.index.as_unit("ms").asi8.astype(np.float64)
        store.upsert(KEY, np.column_stack([ts, frame.to_numpy()]))
        read_s = median_s(lambda: store.read(KEY), repeats=3)
        cli_s = median_s(lambda: validate_series(settings, KEY, as_of_ms=as_of_ms), repeats=3)

    print(f"data-quality gate on {CANDLES:,} {TF} candles (median of {REPEATS} runs)")
    print(f"  first run (GX import, context, suite load): {first_s:8.3f} s")
    print(
        f"  gate: GX suite + custom checks, no Data Docs: {gate_s:8.3f} s   target < {TARGET_S} s: "
        f"{'met' if gate_s < TARGET_S else 'MISSED'}"
    )
    print(f"  gate on 100 candles (GX fixed cost):          {small_s:8.3f} s")
    print(
        f"  reference: same checks in numpy/pandas:       {plain_s:8.3f} s   gate / reference = {gate_s / plain_s:.1f}x"
    )
    print(f"  store read of the candles (SQLite):           {read_s:8.3f} s")
    print(f"  validate_series: read + gate + reports + Data Docs + row: {cli_s:.3f} s")


if __name__ == "__main__":
    main()

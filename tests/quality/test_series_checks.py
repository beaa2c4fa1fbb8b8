"""Staleness and log-return outliers, the checks GX has no built-in for."""

from __future__ import annotations

import numpy as np

from huracan.clock import parse_instant_ms as t
from huracan.quality.checks import freshness, log_return_outliers

H1 = 3_600_000


def test_freshness_is_the_age_of_the_last_close_in_timeframes() -> None:
    ts = t("2024-01-01") + np.arange(10) * H1  # last candle opens 09:00, closes 10:00
    assert freshness(ts, H1, t("2024-01-01T10:00")).age_candles == 0.0
    assert freshness(ts, H1, t("2024-01-01T10:30")).age_candles == 0.5
    assert freshness(ts, H1, t("2024-01-01T12:00")).age_candles == 2.0  # two timeframes: not yet stale
    late = freshness(ts, H1, t("2024-01-01T12:00:01"))
    assert late.age_candles > 2.0 and late.last_open_ms == t("2024-01-01T09:00")
    assert freshness(np.array([], dtype=np.int64), H1, t("2024-01-01")).age_candles is None


def calm_closes(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.002, n)))


def test_a_crash_and_its_rebound_are_listed_and_nothing_else() -> None:
    closes = calm_closes(2000)
    closes[1000:] *= 0.7  # a 30 % crash at candle 1000 ...
    closes[1001:] /= 0.7  # ... and the rebound one candle later
    ts = t("2024-01-01") + np.arange(2000) * H1
    outliers = log_return_outliers(ts, closes, window=500, mad_k=10.0, min_log_return=0.01)
    assert outliers.ts_ms == (int(ts[1000]), int(ts[1001]))
    assert outliers.log_returns[0] < -0.3 and outliers.log_returns[1] > 0.3
    assert all(abs(r) > limit for r, limit in zip(outliers.log_returns, outliers.thresholds, strict=True))
    assert outliers.assessed == 1999


def test_the_threshold_has_a_floor_on_flat_stretches() -> None:
    closes = np.full(300, 50.0)
    closes[150:] *= 1.005  # a 0.5 % step on a flat series: below the 1 % floor
    closes[250:] *= 1.05  # a 5 % step: an outlier
    ts = t("2024-01-01") + np.arange(300) * H1
    outliers = log_return_outliers(ts, closes, window=100, mad_k=10.0, min_log_return=0.01)
    assert outliers.ts_ms == (int(ts[250]),)


def test_missing_or_non_positive_closes_are_skipped() -> None:
    closes = calm_closes(100)
    closes[[10, 20]] = [np.nan, 0.0]
    ts = t("2024-01-01") + np.arange(100) * H1
    outliers = log_return_outliers(ts, closes, window=50, mad_k=10.0, min_log_return=0.01)
    assert len(outliers) == 0 and outliers.assessed == 97

"""Coverage and gaps on the timeframe grid, against hand-computed numbers and a brute-force model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huracan.clock import parse_instant_ms as t
from huracan.data.candle_store import Gap
from huracan.quality.coverage import compute_coverage, expected_candles
from huracan.timeframes import Timeframe

M1, H1, H4, D1 = (Timeframe.parse(name).ms for name in ("1m", "1h", "4h", "1d"))


@pytest.mark.parametrize(
    ("timeframe_ms", "start", "end", "expected"),
    [
        # 1m: one day is 00:00 .. 23:59 (open times, both ends included)
        (M1, "2024-01-01T00:00", "2024-01-01T23:59", 1440),
        (M1, "2024-01-01T00:00", "2024-01-01T23:59:59.999", 1440),  # ends mid-candle: 23:59 counts
        (M1, "2024-01-01T00:00:30", "2024-01-01T23:59", 1439),  # starts mid-candle: 00:00 opened before it
        (M1, "2024-01-01T00:00", "2024-01-02T00:00", 1441),
        # 1h
        (H1, "2024-01-01T00:00", "2024-01-31T23:00", 744),
        (H1, "2024-01-01T00:20", "2024-01-01T05:10", 5),  # 01:00 .. 05:00
        (H1, "2024-01-01T00:20", "2024-01-01T00:50", 0),  # no open time inside
        (H1, "2024-01-01T05:00", "2024-01-01T05:00", 1),
        # 4h: the grid is 00:00, 04:00, ... UTC
        (H4, "2024-01-01T01:00", "2024-01-02T03:59", 6),  # 04:00 .. 00:00 next day
        (H4, "2024-01-01T00:00", "2024-01-07T20:00", 42),
        # 1d: 90 days of daily candles expect 90 (2024 is a leap year: Jan 31 + Feb 29 + Mar 30)
        (D1, "2024-01-01", "2024-03-30", 90),
        (D1, "2024-01-01T12:00", "2024-01-10T06:00", 9),  # Jan 2 .. Jan 10
        (D1, "2017-08-17", "2026-02-20", 3110),
    ],
)
def test_expected_candles_counts_grid_points_in_the_range(
    timeframe_ms: int, start: str, end: str, expected: int
) -> None:
    assert expected_candles(timeframe_ms, t(start), t(end)) == expected
    assert compute_coverage(np.array([], dtype=np.int64), timeframe_ms, t(start), t(end)).expected == expected


def test_ninety_good_daily_candles_have_full_coverage() -> None:
    """The original system reported coverage 0.0007 here."""
    ts = t("2024-01-01") + np.arange(90) * D1
    coverage = compute_coverage(ts, D1, t("2024-01-01"), t("2024-03-30"))
    assert (coverage.expected, coverage.present, coverage.coverage, coverage.gaps) == (90, 90, 1.0, ())


def test_one_day_of_minutes_with_holes() -> None:
    ts = np.delete(t("2024-01-01") + np.arange(1440) * M1, [100, 101, 102, 700])
    coverage = compute_coverage(ts, M1, t("2024-01-01T00:00"), t("2024-01-01T23:59:30"))
    assert (coverage.expected, coverage.present, coverage.missing) == (1440, 1436, 4)
    assert coverage.coverage == 1436 / 1440
    assert coverage.gaps == (
        Gap(t("2024-01-01T01:40"), t("2024-01-01T01:42"), 3),
        Gap(t("2024-01-01T11:40"), t("2024-01-01T11:40"), 1),
    )
    assert coverage.longest_gap == 3


def test_leading_and_trailing_holes_are_gaps() -> None:
    ts = t("2024-01-01T02:00") + np.arange(6) * H1  # 02:00 .. 07:00
    coverage = compute_coverage(ts, H1, t("2024-01-01T00:00"), t("2024-01-01T09:30"))
    assert (coverage.expected, coverage.present) == (10, 6)
    assert coverage.gaps == (
        Gap(t("2024-01-01T00:00"), t("2024-01-01T01:00"), 2),
        Gap(t("2024-01-01T08:00"), t("2024-01-01T09:00"), 2),
    )


def test_a_range_with_no_candles() -> None:
    coverage = compute_coverage(np.array([], dtype=np.int64), H4, t("2024-01-01T00:00"), t("2024-01-01T23:00"))
    assert (coverage.expected, coverage.present, coverage.coverage) == (6, 0, 0.0)
    assert coverage.gaps == (Gap(t("2024-01-01T00:00"), t("2024-01-01T20:00"), 6),)
    assert coverage.longest_gap == 6


def test_a_range_holding_no_grid_point_expects_nothing_and_never_divides_by_zero() -> None:
    coverage = compute_coverage(np.array([t("2024-01-01T00:00")]), H1, t("2024-01-01T00:20"), t("2024-01-01T00:50"))
    assert (coverage.expected, coverage.present, coverage.coverage, coverage.gaps) == (0, 0, 0.0, ())


def test_duplicates_off_grid_and_outside_candles_never_raise_coverage() -> None:
    base = t("2024-01-01")
    ts = np.array([base, base, base + H1, base + H1 + 60_000, base + 5 * H1, base - H1])
    coverage = compute_coverage(ts, H1, base, base + 3 * H1)
    assert (coverage.expected, coverage.present) == (4, 2)
    assert coverage.gaps == (Gap(base + 2 * H1, base + 3 * H1, 2),)


@settings(max_examples=150, deadline=None)
@given(
    present=st.sets(st.integers(0, 60), max_size=61),
    start_s=st.integers(-3 * 3600, 70 * 3600),
    length_s=st.integers(0, 80 * 3600),
    step_minutes=st.sampled_from([1, 15, 60]),
)
def test_matches_a_brute_force_count(present: set[int], start_s: int, length_s: int, step_minutes: int) -> None:
    step = step_minutes * 60_000
    origin = t("2024-01-01")
    ts = np.array(sorted(origin + i * step for i in present), dtype=np.int64)
    start = origin + start_s * 1000  # any second, on or off the grid
    end = start + length_s * 1000
    first = start - start % step
    grid = [g for g in range(first, end + 1, step) if g >= start]
    coverage = compute_coverage(ts, step, start, end)
    assert coverage.expected == len(grid)
    assert coverage.present == len(set(grid) & set(ts.tolist()))
    missing = sorted(set(grid) - set(ts.tolist()))
    spelled = [g for gap in coverage.gaps for g in range(gap.first_ms, gap.last_ms + 1, step)]
    assert spelled == missing
    assert sum(gap.missing for gap in coverage.gaps) == len(missing) == coverage.missing

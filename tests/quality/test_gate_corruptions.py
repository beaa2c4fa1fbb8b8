"""The whole gate (GX suite + Huracan's checks) on candle frames: each corruption is named by its check."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from huracan.clock import format_ms
from huracan.clock import parse_instant_ms as t
from huracan.data.candle_store import Gap, SeriesKey
from huracan.errors import DataQualityError
from huracan.quality import QualityReport, QualityThresholds, Severity, validate_frame

H1 = 3_600_000
START_MS = t("2024-01-01")  # the candles fixture's default start
KEY = SeriesKey("binance", "BTC/USDT", "1h")
N = 1000
ROW = 400  # the corrupted candle
ROW_MS = START_MS + ROW * H1
AS_OF = START_MS + N * H1 + 60_000  # a minute after the last candle closed


@pytest.fixture(scope="module")
def clean(candles) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return candles(N)


def run(frame: pd.DataFrame, thresholds: QualityThresholds, **kwargs) -> QualityReport:  # type: ignore[no-untyped-def]
    kwargs.setdefault("as_of_ms", AS_OF)
    return validate_frame(frame, KEY, START_MS, START_MS + (N - 1) * H1, thresholds=thresholds, **kwargs)


def test_a_clean_simulated_series_passes(clean: pd.DataFrame, thresholds: QualityThresholds) -> None:
    report = run(clean, thresholds)
    assert report.success and report.failures == ()
    assert (report.expected, report.present, report.coverage, report.longest_gap, report.gaps) == (N, N, 1.0, 0, ())
    assert report.rows == N and report.last_ms == START_MS + (N - 1) * H1
    assert all(check.success for check in report.checks if check.severity is Severity.CRITICAL)
    assert report.raise_if_failed() is report
    assert {c.name for c in report.checks} >= {"coverage", "longest_gap", "staleness", "outliers", "min_rows"}


def _duplicate(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([frame.iloc[: ROW + 1], frame.iloc[ROW : ROW + 1], frame.iloc[ROW + 1 :]])


def _swap(frame: pd.DataFrame) -> pd.DataFrame:
    order = np.arange(len(frame))
    order[[ROW, ROW + 1]] = order[[ROW + 1, ROW]]
    return frame.iloc[order]


def _set(column: str, value: Callable[[pd.Series], float]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def corrupt(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame.loc[frame.index[ROW], column] = value(frame.iloc[ROW])
        return frame

    return corrupt


def _off_grid(frame: pd.DataFrame) -> pd.DataFrame:
    index = frame.index.to_list()
    index[ROW] += pd.Timedelta(minutes=7)
    return frame.set_axis(pd.DatetimeIndex(index, name="open_time"))


def _gap(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(frame.index[ROW : ROW + 5])


@pytest.mark.parametrize(
    ("corrupt", "failures", "where"),
    [
        (_duplicate, {"open_time_unique", "open_time_increasing"}, "open_time_unique"),
        (_swap, {"open_time_increasing"}, "open_time_increasing"),
        (_set("close", lambda row: np.nan), {"close_not_null"}, "close_not_null"),
        (_set("volume", lambda row: np.nan), {"volume_not_null"}, "volume_not_null"),
        (_set("high", lambda row: row["low"] * 0.9), {"high_ge_low", "high_ge_body"}, "high_ge_low"),
        (_set("close", lambda row: row["high"] * 1.05), {"high_ge_body"}, "high_ge_body"),
        (_set("open", lambda row: row["low"] * 0.95), {"low_le_body"}, "low_le_body"),
        (_set("volume", lambda row: -1.0), {"volume_non_negative"}, "volume_non_negative"),
        (_set("low", lambda row: 0.0), {"low_positive"}, "low_positive"),
        (_off_grid, {"open_time_on_grid"}, "open_time_on_grid"),
        (_gap, {"longest_gap"}, "longest_gap"),
    ],
    ids=["duplicate", "out-of-order", "nan-close", "nan-volume", "high<low", "close>high", "open<low",
         "negative-volume", "zero-low", "off-grid", "gap"],
)  # fmt: skip
def test_each_corruption_is_named_by_its_check(
    clean: pd.DataFrame,
    thresholds: QualityThresholds,
    corrupt,
    failures: set[str],
    where: str,  # type: ignore[no-untyped-def]
) -> None:
    report = run(corrupt(clean), thresholds)
    assert not report.success
    assert set(report.failures) == failures
    check = report.check(where)
    assert check.severity is Severity.CRITICAL and not check.success
    assert ROW_MS in check.at_ms or ROW_MS + 7 * 60_000 in check.at_ms  # names the candle
    assert format_ms(ROW_MS)[:13] in check.message  # and says where in words
    with pytest.raises(DataQualityError) as caught:
        report.raise_if_failed()
    assert caught.value.report is report
    assert all(name in str(caught.value) for name in failures) and str(KEY) in str(caught.value)


def test_a_gap_is_reported_with_its_candles(clean: pd.DataFrame, thresholds: QualityThresholds) -> None:
    report = run(_gap(clean), thresholds)
    assert report.gaps == (Gap(ROW_MS, ROW_MS + 4 * H1, 5),)
    assert (report.expected, report.present, report.longest_gap) == (N, N - 5, 5)
    assert report.check("coverage").success  # 0.995 >= 0.99
    assert report.check("coverage").message.startswith(
        f"0.99500 (995 of 1,000 expected 1h candles; missing {format_ms(ROW_MS)}"
    )
    assert report.check("longest_gap").message.startswith("5 candles missing at")
    wider = run(clean.drop(clean.index[ROW : ROW + 20 : 2]), thresholds)  # 10 single holes: coverage 0.99 passes
    assert wider.success and wider.coverage == 0.99 and wider.longest_gap == 1
    stricter = run(clean.drop(clean.index[ROW : ROW + 20 : 2]), thresholds.with_overrides(min_coverage=0.995))
    assert stricter.failures == ("coverage",)


def test_staleness_blocks_live_use_and_warns_for_training(clean: pd.DataFrame, thresholds: QualityThresholds) -> None:
    late = START_MS + (N + 2) * H1 + 1  # the last candle closed just over two timeframes earlier
    training = run(clean, thresholds, as_of_ms=late)
    assert training.success and "staleness" in training.warnings
    assert training.check("staleness").severity is Severity.WARNING
    live = run(clean, thresholds.with_overrides(min_rows=300), as_of_ms=late, purpose="live")
    assert live.failures == ("staleness",)
    assert live.check("staleness").severity is Severity.CRITICAL
    assert (
        f"last candle {format_ms(START_MS + (N - 1) * H1)} closed 2.00 x 1h before" in live.check("staleness").message
    )
    fresh = run(clean, thresholds, as_of_ms=START_MS + (N + 2) * H1, purpose="live")
    assert fresh.check("staleness").success


def test_an_outlier_is_a_warning_listing_the_candle(clean: pd.DataFrame, thresholds: QualityThresholds) -> None:
    frame = clean.copy()
    frame.iloc[ROW:, :4] *= 0.5  # a 50 % crash that stays: a real move, not broken data
    report = run(frame, thresholds)
    assert report.success and report.warnings == ("outliers",)
    natural = run(clean, thresholds).check("outliers").at_ms  # the simulated market has fat tails too
    assert set(report.check("outliers").at_ms) == {*natural, ROW_MS}
    assert f"{format_ms(ROW_MS)} (-0.7" in report.check("outliers").message


def test_too_few_rows_for_training(candles, thresholds: QualityThresholds) -> None:  # type: ignore[no-untyped-def]
    frame = candles(90, "1d")
    report = validate_frame(frame, SeriesKey("binance", "BTC/USDT", "1d"), thresholds=thresholds, as_of_ms=AS_OF)
    assert report.coverage == 1.0 and report.expected == 90  # 90 good daily candles: full coverage
    assert report.failures == ("min_rows",)
    assert report.check("min_rows").message == "90 rows"


def test_a_range_without_candles_or_grid_points_fails_clearly(candles, thresholds: QualityThresholds) -> None:  # type: ignore[no-untyped-def]
    empty = candles(0)
    none_expected = validate_frame(empty, KEY, t("2024-01-01T00:20"), t("2024-01-01T00:50"), thresholds=thresholds)
    assert none_expected.expected == 0 and none_expected.coverage == 0.0
    assert "coverage" in none_expected.failures
    assert "holds no 1h candle open time" in none_expected.check("coverage").message
    nothing_there = validate_frame(empty, KEY, t("2024-01-01"), t("2024-01-01T09:00"), thresholds=thresholds)
    assert (nothing_there.expected, nothing_there.present, nothing_there.longest_gap) == (10, 0, 10)
    assert set(nothing_there.failures) == {"coverage", "longest_gap", "min_rows"}


def test_the_report_dict_holds_the_numbers(clean: pd.DataFrame, thresholds: QualityThresholds) -> None:
    data = run(_gap(clean), thresholds).to_dict()
    assert data["gaps"] == [[ROW_MS, ROW_MS + 4 * H1]]
    assert (data["expected"], data["present"], data["longest_gap"], data["success"]) == (N, N - 5, 5, False)
    assert data["failures"] == ["longest_gap"] and data["coverage"] == 0.995
    assert [c["name"] for c in data["checks"]][:2] == ["open_time_not_null", "open_not_null"]

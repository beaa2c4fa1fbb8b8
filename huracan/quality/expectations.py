"""Great Expectations wrappers for the checks GX has no built-in for, so they run in the same suite and
land in the same validation result (and Data Docs) as the built-in ones.

Importing this module registers, with GX, three table metrics computed once per validation from the
``open_time_ms`` and ``close`` columns of the candle batch (see :mod:`huracan.quality.suite`) and four
expectations that read them:

=================================================  =====================================================
``expect_candle_coverage_to_be_at_least``          present / expected grid candles >= ``min_value``
``expect_candle_longest_gap_to_be_at_most``        longest run of missing candles <= ``max_value``
``expect_candles_to_be_fresh``                     last close at most ``max_age_candles`` timeframes old
``expect_candle_log_returns_to_have_no_outliers``  no |log return| beyond the robust threshold
=================================================  =====================================================

The math is in :mod:`huracan.quality.coverage` and :mod:`huracan.quality.checks`; this module only
adapts it. Results are JSON-safe: times in ms UTC, coverage a fraction, gaps ``[first, last, missing]``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.core.suite_parameters import SuiteParameterDict
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import BatchExpectation
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider

from huracan.quality.checks import Freshness, Outliers, freshness, log_return_outliers
from huracan.quality.coverage import Coverage, compute_coverage

#: Column of the candle batch holding open times (ms UTC, int64).
TS_COLUMN = "open_time_ms"
#: How many open times a result lists where a check points at candles (all gaps are always listed).
LISTED = 20

COVERAGE_METRIC = "huracan.candles.coverage"
FRESHNESS_METRIC = "huracan.candles.freshness"
OUTLIERS_METRIC = "huracan.candles.log_return_outliers"


def _frame(execution_engine: PandasExecutionEngine, metric_domain_kwargs: dict) -> Any:
    frame, _, _ = execution_engine.get_compute_domain(
        domain_kwargs=metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE
    )
    return frame


def _open_times(frame: Any) -> Any:
    """Open times as int64 ms, rows with a missing open time dropped (``..._not_null`` reports them)."""
    column = frame[TS_COLUMN]
    return column.dropna().to_numpy().astype("int64")


class CandleCoverage(TableMetricProvider):
    """:class:`~huracan.quality.coverage.Coverage` of the batch's open times in ``[start_ms, end_ms]``."""

    metric_name = COVERAGE_METRIC
    value_keys = ("timeframe_ms", "start_ms", "end_ms")

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        ts_ms = _open_times(_frame(execution_engine, metric_domain_kwargs))
        return compute_coverage(
            ts_ms,
            int(metric_value_kwargs["timeframe_ms"]),
            int(metric_value_kwargs["start_ms"]),
            int(metric_value_kwargs["end_ms"]),
        )


class CandleFreshness(TableMetricProvider):
    """:class:`~huracan.quality.checks.Freshness` of the batch's newest open time at ``as_of_ms``."""

    metric_name = FRESHNESS_METRIC
    value_keys = ("timeframe_ms", "as_of_ms")

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        ts_ms = _open_times(_frame(execution_engine, metric_domain_kwargs))
        return freshness(ts_ms, int(metric_value_kwargs["timeframe_ms"]), int(metric_value_kwargs["as_of_ms"]))


class CandleLogReturnOutliers(TableMetricProvider):
    """:class:`~huracan.quality.checks.Outliers` of the batch's close-to-close log returns."""

    metric_name = OUTLIERS_METRIC
    value_keys = ("window", "mad_k", "min_log_return")

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        frame = _frame(execution_engine, metric_domain_kwargs)
        return log_return_outliers(
            frame[TS_COLUMN].to_numpy(dtype="float64"),
            frame["close"].to_numpy(dtype="float64"),
            int(metric_value_kwargs["window"]),
            float(metric_value_kwargs["mad_k"]),
            float(metric_value_kwargs["min_log_return"]),
        )


def _gap_list(coverage: Coverage) -> list[list[int]]:
    return [[gap.first_ms, gap.last_ms, gap.missing] for gap in coverage.gaps]


class ExpectCandleCoverageToBeAtLeast(BatchExpectation):
    """Expect candles present / candles expected on the timeframe grid in ``[start_ms, end_ms]`` to be at
    least ``min_value`` (a fraction). A range holding no grid point fails: there is nothing to validate.

    Result: ``observed_value`` (coverage), ``expected``, ``present``, ``missing``, ``gap_count``.
    """

    timeframe_ms: int | SuiteParameterDict
    start_ms: int | SuiteParameterDict
    end_ms: int | SuiteParameterDict
    min_value: float | SuiteParameterDict

    metric_dependencies: ClassVar[tuple[str, ...]] = (COVERAGE_METRIC,)
    success_keys: ClassVar[tuple[str, ...]] = ("timeframe_ms", "start_ms", "end_ms", "min_value")

    def _validate(self, metrics, runtime_configuration=None, execution_engine=None):
        coverage: Coverage = metrics[COVERAGE_METRIC]
        min_value = float(self._get_success_kwargs()["min_value"])
        return {
            "success": coverage.expected > 0 and coverage.coverage >= min_value,
            "result": {
                "observed_value": coverage.coverage,
                "expected": coverage.expected,
                "present": coverage.present,
                "missing": coverage.missing,
                "gap_count": len(coverage.gaps),
            },
        }


class ExpectCandleLongestGapToBeAtMost(BatchExpectation):
    """Expect no run of consecutive missing grid candles in ``[start_ms, end_ms]`` longer than
    ``max_value`` candles.

    Result: ``observed_value`` (longest gap, candles) and ``gaps``, every gap as
    ``[first missing open time, last missing open time, candles]`` (ms UTC), oldest first.
    """

    timeframe_ms: int | SuiteParameterDict
    start_ms: int | SuiteParameterDict
    end_ms: int | SuiteParameterDict
    max_value: int | SuiteParameterDict

    metric_dependencies: ClassVar[tuple[str, ...]] = (COVERAGE_METRIC,)
    success_keys: ClassVar[tuple[str, ...]] = ("timeframe_ms", "start_ms", "end_ms", "max_value")

    def _validate(self, metrics, runtime_configuration=None, execution_engine=None):
        coverage: Coverage = metrics[COVERAGE_METRIC]
        max_value = int(self._get_success_kwargs()["max_value"])
        return {
            "success": coverage.longest_gap <= max_value,
            "result": {"observed_value": coverage.longest_gap, "gaps": _gap_list(coverage)},
        }


class ExpectCandlesToBeFresh(BatchExpectation):
    """Expect the newest candle to have closed at most ``max_age_candles`` timeframes before ``as_of_ms``.

    Result: ``observed_value`` (age in timeframes, None when there is no candle) and ``last_open_ms``.
    """

    timeframe_ms: int | SuiteParameterDict
    as_of_ms: int | SuiteParameterDict
    max_age_candles: float | SuiteParameterDict

    metric_dependencies: ClassVar[tuple[str, ...]] = (FRESHNESS_METRIC,)
    success_keys: ClassVar[tuple[str, ...]] = ("timeframe_ms", "as_of_ms", "max_age_candles")

    def _validate(self, metrics, runtime_configuration=None, execution_engine=None):
        fresh: Freshness = metrics[FRESHNESS_METRIC]
        max_age = float(self._get_success_kwargs()["max_age_candles"])
        return {
            "success": fresh.age_candles is not None and fresh.age_candles <= max_age,
            "result": {"observed_value": fresh.age_candles, "last_open_ms": fresh.last_open_ms},
        }


class ExpectCandleLogReturnsToHaveNoOutliers(BatchExpectation):
    """Expect no close-to-close |log return| above ``max(mad_k * 1.4826 * median |log return| over the
    trailing window, min_log_return)``.

    Result: ``observed_value`` (outlier count), ``assessed`` (returns checked) and ``outliers``, the
    first 20 as ``[open time ms, log return, threshold]``.
    """

    window: int | SuiteParameterDict
    mad_k: float | SuiteParameterDict
    min_log_return: float | SuiteParameterDict

    metric_dependencies: ClassVar[tuple[str, ...]] = (OUTLIERS_METRIC,)
    success_keys: ClassVar[tuple[str, ...]] = ("window", "mad_k", "min_log_return")

    def _validate(self, metrics, runtime_configuration=None, execution_engine=None):
        outliers: Outliers = metrics[OUTLIERS_METRIC]
        listed = [
            [ts, ret, limit]
            for ts, ret, limit in zip(outliers.ts_ms, outliers.log_returns, outliers.thresholds, strict=True)
        ][:LISTED]
        return {
            "success": len(outliers) == 0,
            "result": {"observed_value": len(outliers), "assessed": outliers.assessed, "outliers": listed},
        }

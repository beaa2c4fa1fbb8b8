"""Reading a GX validation result of the candle suite into Huracan's :class:`CheckResult` list.

Each expectation's ``meta.check`` names the check; its ``severity`` (already adjusted for the purpose
by :mod:`huracan.quality.suite`) says whether it blocks. Messages say what was observed and where:
open times of the failing candles, the gaps, the outliers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from huracan.clock import format_ms
from huracan.data.candle_store import Gap
from huracan.quality.report import CheckResult, Severity, format_open, gap_text, listing
from huracan.quality.suite import REQUIRED_CHECKS
from huracan.timeframes import Timeframe

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

COVERAGE = "expect_candle_coverage_to_be_at_least"
LONGEST_GAP = "expect_candle_longest_gap_to_be_at_most"
FRESH = "expect_candles_to_be_fresh"
OUTLIERS = "expect_candle_log_returns_to_have_no_outliers"
ROW_COUNT = "expect_table_row_count_to_be_between"


@dataclass(frozen=True)
class SuiteOutcome:
    """What the gate reads from a GX result: the checks (in the suite's canonical order), the gaps,
    and the candles expected and present on the grid."""

    checks: tuple[CheckResult, ...]
    gaps: tuple[Gap, ...]
    expected: int
    present: int


def _fraction(value: float) -> str:
    """A fraction with 5 decimals, truncated so a value below 1 never prints as 1.00000."""
    return f"{math.floor(value * 100_000) / 100_000:.5f}"


def _exception(item: Any) -> str | None:
    """The message of an exception GX caught while evaluating an expectation, if any."""
    info = item.exception_info or {}
    entries = [info] if "raised_exception" in info else list(info.values())
    for entry in entries:
        if isinstance(entry, dict) and entry.get("raised_exception"):
            return str(entry.get("exception_message") or "unknown error")
    return None


def _open_time(value: Any) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if math.isfinite(number) else None


def _value_text(value: Any) -> str:
    return f"{value:.8g}" if isinstance(value, float) else str(value)


def _row_text(row: Mapping[str, Any], timeframe_ms: int) -> str:
    """A failing candle in words: its open time (exact when off the grid), then the values at fault."""
    ts = _open_time(row.get("open_time_ms"))
    if ts is None:
        when = "missing open time"
    else:
        when = format_ms(ts) if ts % timeframe_ms else format_open(ts, timeframe_ms)
    values = ", ".join(f"{k}={_value_text(v)}" for k, v in row.items() if k != "open_time_ms")
    return f"{when} ({values})" if values else when


@dataclass(frozen=True)
class _Item:
    """One expectation's outcome, as every check builder needs it."""

    name: str
    description: str
    severity: Severity
    ok: bool
    result: Mapping[str, Any]
    kwargs: Mapping[str, Any]

    def check(
        self, observed: float | int | None, threshold: str, message: str, at_ms: tuple[int, ...] = ()
    ) -> CheckResult:
        """The check with this outcome and the given observed value, threshold, message and open times."""
        return CheckResult(self.name, self.description, self.severity, self.ok, observed, threshold, message, at_ms)


def _column_check(item: _Item, rows: int, tf: Timeframe) -> CheckResult:
    failing = int(item.result.get("unexpected_count") or 0)
    index_rows = item.result.get("partial_unexpected_index_list") or []
    at_ms = tuple(ts for ts in (_open_time(row.get("open_time_ms")) for row in index_rows) if ts is not None)
    if not failing:
        return item.check(0, "0 candles", f"0 of {rows:,} candles fail")
    shown = (_row_text(row, tf.ms) for row in index_rows)
    return item.check(failing, "0 candles", f"{failing:,} of {rows:,} candles fail: {listing(shown, failing)}", at_ms)


def _row_count_check(item: _Item) -> CheckResult:
    observed = int(item.result["observed_value"])
    return item.check(observed, f">= {int(item.kwargs['min_value']):,} rows", f"{observed:,} rows")


def _coverage_check(item: _Item, tf: Timeframe, gaps: tuple[Gap, ...]) -> CheckResult:
    expected, present = int(item.result["expected"]), int(item.result["present"])
    threshold = f">= {float(item.kwargs['min_value']):g}"
    if not expected:
        start, end = format_ms(int(item.kwargs["start_ms"])), format_ms(int(item.kwargs["end_ms"]))
        message = f"nothing to validate: the range {start} .. {end} holds no {tf} candle open time"
        return item.check(0.0, threshold, message)
    missing = listing((gap_text(g, tf.ms) for g in gaps), len(gaps))
    where = f"missing {missing}" if expected > present else "none missing"
    message = f"{_fraction(present / expected)} ({present:,} of {expected:,} expected {tf} candles; {where})"
    return item.check(float(item.result["observed_value"]), threshold, message, tuple(g.first_ms for g in gaps[:5]))


def _gap_check(item: _Item, tf: Timeframe, gaps: tuple[Gap, ...]) -> CheckResult:
    threshold = f"<= {int(item.kwargs['max_value'])} candles"
    longest = max(gaps, key=lambda gap: gap.missing, default=None)
    if longest is None:
        return item.check(0, threshold, "no gap")
    span = f"{format_open(longest.first_ms, tf.ms)} .. {format_open(longest.last_ms, tf.ms)}"
    message = f"{longest.missing:,} candles missing at {span}; {len(gaps):,} gaps in all"
    return item.check(longest.missing, threshold, message, (longest.first_ms,))


def _freshness_check(item: _Item, tf: Timeframe) -> CheckResult:
    age, last = item.result["observed_value"], item.result["last_open_ms"]
    threshold = f"<= {float(item.kwargs['max_age_candles']):g} timeframes"
    if last is None:
        return item.check(None, threshold, "no candle at all")
    as_of = format_ms(int(item.kwargs["as_of_ms"]))
    message = f"last candle {format_open(int(last), tf.ms)} closed {float(age):,.2f} x {tf} before {as_of}"
    return item.check(float(age), threshold, message, () if item.ok else (int(last),))


def _outlier_check(item: _Item, tf: Timeframe) -> CheckResult:
    count, assessed = int(item.result["observed_value"]), int(item.result["assessed"])
    listed = item.result["outliers"]
    k, window, floor = float(item.kwargs["mad_k"]), int(item.kwargs["window"]), float(item.kwargs["min_log_return"])
    threshold = f"|log return| <= max({k:g} robust std over {window} candles, {floor:g})"
    if not count:
        return item.check(0, threshold, f"0 of {assessed:,} log returns beyond it")
    shown = (f"{format_open(int(ts), tf.ms)} ({ret:+.4f}, limit {limit:.4f})" for ts, ret, limit in listed)
    message = f"{count:,} of {assessed:,} log returns beyond it: {listing(shown, count)}"
    return item.check(count, threshold, message, tuple(int(row[0]) for row in listed))


def _severity(config: Any) -> Severity:
    value = str(getattr(config.severity, "value", config.severity))
    return Severity.CRITICAL if value == Severity.CRITICAL.value else Severity.WARNING


def _config(outcome: ExpectationValidationResult) -> ExpectationConfiguration:
    """The expectation ``outcome`` is the result of (GX types it optional; a suite run always sets it)."""
    if outcome.expectation_config is None:
        raise ValueError(f"a GX validation result without its expectation: {outcome}")
    return outcome.expectation_config


def read_result(result: ExpectationSuiteValidationResult, tf: Timeframe, rows: int) -> SuiteOutcome:
    """The checks, gaps and grid counts of a GX validation result of ``rows`` candles of timeframe ``tf``.

    A check whose evaluation raised inside GX counts as failed, with the error as its message.
    """
    by_type = {_config(item).type: item for item in result.results}
    gap_item, coverage_item = by_type.get(LONGEST_GAP), by_type.get(COVERAGE)
    gaps: tuple[Gap, ...] = ()
    if gap_item is not None and not _exception(gap_item):
        gaps = tuple(Gap(int(a), int(b), int(n)) for a, b, n in gap_item.result["gaps"])
    counts = coverage_item.result if coverage_item is not None and not _exception(coverage_item) else {}
    checks = []
    for outcome in result.results:
        config = _config(outcome)
        name, severity, description = config.meta["check"], _severity(config), config.description or config.type
        error = _exception(outcome)
        if error is not None:
            failed = CheckResult(name, description, severity, False, None, "-", f"could not be evaluated: {error}")
            checks.append(failed)
            continue
        item = _Item(name, description, severity, bool(outcome.success), outcome.result, config.kwargs)
        if config.type == COVERAGE:
            checks.append(_coverage_check(item, tf, gaps))
        elif config.type == LONGEST_GAP:
            checks.append(_gap_check(item, tf, gaps))
        elif config.type == FRESH:
            checks.append(_freshness_check(item, tf))
        elif config.type == OUTLIERS:
            checks.append(_outlier_check(item, tf))
        elif config.type == ROW_COUNT:
            checks.append(_row_count_check(item))
        else:
            checks.append(_column_check(item, rows, tf))
    order = {name: i for i, name in enumerate(REQUIRED_CHECKS)}
    checks.sort(key=lambda check: (order.get(check.name, len(order)), check.name))
    return SuiteOutcome(tuple(checks), gaps, int(counts.get("expected", 0)), int(counts.get("present", 0)))

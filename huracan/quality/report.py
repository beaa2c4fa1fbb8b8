"""The typed result of the data-quality gate, its JSON form and its readable text.

A :class:`QualityReport` is built from one GX validation result (the built-in checks and Huracan's
coverage, gap, staleness and outlier checks all live in it). :meth:`QualityReport.to_dict` is what
``huracan validate --json`` prints and ``report.json`` holds; :func:`render_text` renders that same
dict, so the printed report and the JSON cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from huracan.clock import format_ms
from huracan.data.candle_store import Gap, SeriesKey
from huracan.errors import DataQualityError
from huracan.quality.thresholds import Purpose, QualityThresholds
from huracan.timeframes import DAY_MS

#: Open times / gaps spelled out in a check's message before "... and N more".
SHOWN = 5


class Severity(StrEnum):
    """Critical checks block (a failure stops training or live use); warnings are reported."""

    CRITICAL = "critical"
    WARNING = "warning"


@dataclass(frozen=True)
class CheckResult:
    """One check of the gate.

    :param name: stable check name (``coverage``, ``open_time_unique``, ...; the suite's ``meta.check``).
    :param description: what the check demands, in words.
    :param severity: critical (blocks) or warning (reported).
    :param success: whether the candles passed it.
    :param observed: the measured value (coverage fraction, candles failing, longest gap in candles,
        age in timeframes, row count, ...); None when it could not be measured.
    :param threshold: the limit it is held to, in words (``>= 0.99``, ``<= 3 candles``, ``0 candles``).
    :param message: the observed value in words, with where it happens (open times, gaps).
    :param at_ms: open times (ms UTC) of the candles at fault, the first few.
    """

    name: str
    description: str
    severity: Severity
    success: bool
    observed: float | int | None
    threshold: str
    message: str
    at_ms: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "severity": self.severity.value,
            "success": self.success,
            "observed": self.observed,
            "threshold": self.threshold,
            "message": self.message,
            "at_ms": list(self.at_ms),
        }


@dataclass(frozen=True)
class QualityReport:
    """Everything one run of the gate found about one series and range.

    :param key: the series.
    :param purpose: what the candles were validated for.
    :param start_ms: validated range start, ms UTC (open times, included).
    :param end_ms: validated range end, ms UTC (included).
    :param timeframe_ms: candle length, ms.
    :param rows: candles validated (as read, duplicates and off-grid ones included).
    :param expected: grid candles in the range.
    :param present: distinct on-grid candles found in the range.
    :param gaps: runs of missing candles, oldest first (ms UTC, first and last missing open time).
    :param last_ms: open time of the newest candle validated, ms UTC; None without candles.
    :param as_of_ms: reference time of the staleness check, ms UTC.
    :param checks: every check, in suite order.
    :param thresholds: the thresholds applied.
    :param validated_at_ms: when the gate ran, ms UTC.
    :param report_dir: folder holding ``report.json``, ``validation_result.json`` (GX) and
        ``data_docs.html``; None when no report files were written.
    """

    key: SeriesKey
    purpose: Purpose
    start_ms: int
    end_ms: int
    timeframe_ms: int
    rows: int
    expected: int
    present: int
    gaps: tuple[Gap, ...]
    last_ms: int | None
    as_of_ms: int
    checks: tuple[CheckResult, ...]
    thresholds: QualityThresholds
    validated_at_ms: int
    report_dir: Path | None = field(default=None)

    @property
    def coverage(self) -> float:
        """Candles present / candles expected, a fraction; 0.0 when nothing is expected."""
        return self.present / self.expected if self.expected else 0.0

    @property
    def longest_gap(self) -> int:
        """Longest run of missing candles, candles."""
        return max((gap.missing for gap in self.gaps), default=0)

    @property
    def failures(self) -> tuple[str, ...]:
        """Names of the failed critical checks."""
        return tuple(c.name for c in self.checks if not c.success and c.severity is Severity.CRITICAL)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Names of the failed warning checks."""
        return tuple(c.name for c in self.checks if not c.success and c.severity is Severity.WARNING)

    @property
    def success(self) -> bool:
        """True when no critical check failed."""
        return not self.failures

    def check(self, name: str) -> CheckResult:
        """The check called ``name``; KeyError listing the names otherwise."""
        for item in self.checks:
            if item.name == name:
                return item
        raise KeyError(f"no check {name!r}; checks: {', '.join(c.name for c in self.checks)}")

    def summary(self) -> str:
        """One line: the series, range, purpose and which critical checks failed (with where)."""
        head = f"{self.key} {format_ms(self.start_ms)} .. {format_ms(self.end_ms)} for {self.purpose.value}"
        if self.success:
            return f"{head}: passed ({len(self.warnings)} warnings)"
        failed = "; ".join(
            f"{c.name} {c.message} (needs {c.threshold})" for c in self.checks if c.name in self.failures
        )
        where = f"; report: {self.report_dir}" if self.report_dir else ""
        return f"{head}: failed the data-quality gate: {failed}{where}"

    def raise_if_failed(self) -> QualityReport:
        """Return self when no critical check failed; raise :class:`DataQualityError` carrying it otherwise."""
        if not self.success:
            raise DataQualityError(self.summary(), report=self)
        return self

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``huracan validate --json`` (times in ms UTC, coverage a fraction)."""
        return {
            "success": self.success,
            "series": {"exchange": self.key.exchange, "symbol": self.key.symbol, "timeframe": self.key.timeframe},
            "purpose": self.purpose.value,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "timeframe_ms": self.timeframe_ms,
            "rows": self.rows,
            "expected": self.expected,
            "present": self.present,
            "coverage": self.coverage,
            "longest_gap": self.longest_gap,
            "gaps": [[gap.first_ms, gap.last_ms] for gap in self.gaps],
            "last_ms": self.last_ms,
            "as_of_ms": self.as_of_ms,
            "failures": list(self.failures),
            "warnings": list(self.warnings),
            "checks": [c.to_dict() for c in self.checks],
            "thresholds": self.thresholds.to_dict(),
            "validated_at_ms": self.validated_at_ms,
            "report_path": str(self.report_dir) if self.report_dir else None,
        }


def format_open(ts_ms: int, timeframe_ms: int) -> str:
    """An open time in words: a date for daily candles at midnight, ``YYYY-MM-DD HH:MM[:SS]`` otherwise."""
    text = format_ms(ts_ms)
    return text[:10] if timeframe_ms % DAY_MS == 0 and ts_ms % DAY_MS == 0 else text


def gap_text(gap: Gap, timeframe_ms: int) -> str:
    """A gap in words: its one missing open time, or ``first .. last (n candles)``."""
    if gap.missing == 1:
        return format_open(gap.first_ms, timeframe_ms)
    first, last = format_open(gap.first_ms, timeframe_ms), format_open(gap.last_ms, timeframe_ms)
    return f"{first} .. {last} ({gap.missing} candles)"


def listing(items: Iterable[str], total: int) -> str:
    """The first few ``items`` joined by commas, then ``... and N more`` when ``total`` exceeds them."""
    shown = list(items)[:SHOWN]
    more = total - len(shown)
    return ", ".join(shown) + (f", ... and {more:,} more" if more > 0 else "")


def render_text(data: Mapping[str, Any]) -> str:
    """The readable report of a :meth:`QualityReport.to_dict` dict: a header, then one line per check
    (PASS/FAIL, severity, name, observed value and where, threshold)."""
    series = data["series"]
    verdict = "PASSED" if data["success"] else "FAILED"
    lines = [
        f"{series['exchange']} {series['symbol']} {series['timeframe']}  "
        f"{format_ms(data['start_ms'])} .. {format_ms(data['end_ms'])}  for {data['purpose']}: {verdict}",
    ]
    width = max((len(c["name"]) for c in data["checks"]), default=0)
    for check in data["checks"]:
        status = "PASS" if check["success"] else "FAIL"
        lines.append(
            f"  {status}  {check['severity']:<8}  {check['name']:<{width}}  {check['message']}"
            f"  [threshold {check['threshold']}]"
        )
    if data["failures"]:
        lines.append(f"critical failures: {', '.join(data['failures'])}")
    if data["warnings"]:
        lines.append(f"warnings: {', '.join(data['warnings'])}")
    if data.get("report_path"):
        lines.append(f"report: {data['report_path']}")
    return "\n".join(lines)

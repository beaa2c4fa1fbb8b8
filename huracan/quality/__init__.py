"""The data-quality gate: a Great Expectations suite (``expectations/candles.json``) plus coverage, gap,
staleness and outlier checks, run on a candle series before anything trains or trades on it.

Importing this package is cheap: Great Expectations loads on the first validation.

- :func:`validate_series` / :func:`validate_frame` return a :class:`QualityReport`;
  ``report.raise_if_failed()`` raises :class:`~huracan.errors.DataQualityError` carrying it.
- :func:`require_passed` raises unless the latest recorded validation of a series passed and covers
  the range about to be used; :func:`latest_validation` reads that record.
"""

from huracan.errors import DataQualityError
from huracan.quality.gate import validate_frame, validate_series
from huracan.quality.records import ValidationRecord, latest_validation, require_passed
from huracan.quality.report import CheckResult, QualityReport, Severity, render_text
from huracan.quality.thresholds import Purpose, QualityThresholds

__all__ = [
    "CheckResult",
    "DataQualityError",
    "Purpose",
    "QualityReport",
    "QualityThresholds",
    "Severity",
    "ValidationRecord",
    "latest_validation",
    "render_text",
    "require_passed",
    "validate_frame",
    "validate_series",
]

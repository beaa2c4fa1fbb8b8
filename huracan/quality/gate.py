"""The data-quality gate: run the suite on candles, build the report, write it, record it.

Public API (the CLI and the DAGs call these):

- :func:`validate_frame`: the gate on a candle frame in memory (no I/O besides GX).
- :func:`validate_series`: the gate on stored candles; writes the GX validation result, Data Docs and
  ``report.json`` under ``HURACAN_HOME/reports/validations/<series>/<run>/`` and records a row in the
  store's ``validations`` table. ``validate_series(...).raise_if_failed()`` raises
  :class:`~huracan.errors.DataQualityError` carrying the report.
- :func:`~huracan.quality.records.require_passed` (re-exported by :mod:`huracan.quality`): what
  training calls before touching a series.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from huracan.clock import format_ms
from huracan.data.candle_store import CandleStore, SeriesKey
from huracan.errors import ConfigError, NoDataError
from huracan.quality.report import QualityReport
from huracan.quality.thresholds import Purpose, QualityThresholds
from huracan.series import symbol_slug
from huracan.timeframes import Timeframe

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations.core import ExpectationSuiteValidationResult

    from huracan.config import Settings

log = logging.getLogger(__name__)

REPORT_FILE = "report.json"
GX_RESULT_FILE = "validation_result.json"
DATA_DOCS_FILE = "data_docs.html"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _run_gate(
    candles: pd.DataFrame,
    key: SeriesKey,
    start_ms: int | None,
    end_ms: int | None,
    purpose: Purpose | str,
    thresholds: QualityThresholds,
    as_of_ms: int | None,
    suite_path: Path | None,
) -> tuple[QualityReport, ExpectationSuiteValidationResult]:
    from huracan.quality.results import read_result
    from huracan.quality.suite import gx_frame, run_suite

    tf = Timeframe.parse(key.timeframe)
    purpose = Purpose.parse(purpose)
    frame = gx_frame(candles, tf.ms)
    open_times = frame["open_time_ms"].dropna()
    if start_ms is None or end_ms is None:
        if open_times.empty:
            raise NoDataError(f"no candles to validate for {key} and no range given")
        start_ms = int(open_times.min()) if start_ms is None else start_ms
        end_ms = int(open_times.max()) if end_ms is None else end_ms
    if start_ms > end_ms:
        raise ConfigError(f"the range start {format_ms(start_ms)} is after its end {format_ms(end_ms)}")
    validated_at_ms = _now_ms()
    as_of_ms = validated_at_ms if as_of_ms is None else as_of_ms
    parameters = {
        "timeframe_ms": tf.ms,
        "start_ms": start_ms,
        "end_ms": end_ms,
        "as_of_ms": as_of_ms,
        **thresholds.to_dict(),
    }
    result = run_suite(frame, purpose, parameters, suite_path)
    outcome = read_result(result, tf, len(frame))
    report = QualityReport(
        key=key,
        purpose=purpose,
        start_ms=start_ms,
        end_ms=end_ms,
        timeframe_ms=tf.ms,
        rows=len(frame),
        expected=outcome.expected,
        present=outcome.present,
        gaps=outcome.gaps,
        last_ms=int(open_times.max()) if len(open_times) else None,
        as_of_ms=as_of_ms,
        checks=outcome.checks,
        thresholds=thresholds,
        validated_at_ms=validated_at_ms,
    )
    # GX's own "success" also counts warnings; the gate's verdict (critical checks only) sits beside it
    result.meta["huracan"] = {  # type: ignore[typeddict-unknown-key]
        "series": str(key),
        "purpose": purpose.value,
        "start_ms": start_ms,
        "end_ms": end_ms,
        "success": report.success,
        "failures": list(report.failures),
        "warnings": list(report.warnings),
    }
    return report, result


def validate_frame(
    candles: pd.DataFrame,
    key: SeriesKey,
    start_ms: int | None = None,
    end_ms: int | None = None,
    *,
    thresholds: QualityThresholds,
    purpose: Purpose | str = Purpose.TRAINING,
    as_of_ms: int | None = None,
    suite_path: Path | None = None,
) -> QualityReport:
    """Run the gate on ``candles`` (a candle frame: UTC ``DatetimeIndex`` of open times, float columns
    ``open, high, low, close, volume``), exactly as given: duplicates, disorder and NaNs are checked,
    never repaired. Writes nothing.

    :param key: the series the candles belong to; its timeframe defines the grid.
    :param start_ms: range start, ms UTC (included); None means the first open time in ``candles``.
    :param end_ms: range end, ms UTC (included); None means the last open time in ``candles``.
    :param thresholds: the limits to apply (:meth:`QualityThresholds.from_settings`).
    :param purpose: ``training`` or ``live`` (staleness is critical only for live use).
    :param as_of_ms: reference time of the staleness check, ms UTC; None means now.
    :param suite_path: the suite file; None means ``expectations/candles.json``.
    """
    report, _ = _run_gate(candles, key, start_ms, end_ms, purpose, thresholds, as_of_ms, suite_path)
    return report


def _report_dir(settings: Settings, report: QualityReport) -> Path:
    key = report.key
    series = f"{key.exchange}_{symbol_slug(key.symbol)}_{key.timeframe}"
    moment = datetime.fromtimestamp(report.validated_at_ms / 1000, tz=UTC)
    stamp = moment.strftime("%Y%m%dT%H%M%S") + f"{report.validated_at_ms % 1000:03d}Z"
    base = settings.home / "reports" / "validations" / series
    base.mkdir(parents=True, exist_ok=True)
    for attempt in range(1000):
        folder = base / (f"{stamp}_{report.purpose.value}" + (f"_{attempt}" if attempt else ""))
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue
    raise ConfigError(f"cannot create a report folder under {base}")  # pragma: no cover


def write_reports(
    settings: Settings, report: QualityReport, result: ExpectationSuiteValidationResult, data_docs: bool = True
) -> QualityReport:
    """Write the GX validation result, Data Docs (unless ``data_docs`` is False) and ``report.json``
    into a new run folder; return the report with ``report_dir`` set."""
    from dataclasses import replace

    folder = _report_dir(settings, report)
    report = replace(report, report_dir=folder)
    (folder / GX_RESULT_FILE).write_text(json.dumps(result.to_json_dict(), indent=1), encoding="utf-8")
    if data_docs:
        from huracan.quality.suite import render_data_docs

        (folder / DATA_DOCS_FILE).write_text(render_data_docs(result), encoding="utf-8")
    (folder / REPORT_FILE).write_text(json.dumps(report.to_dict(), indent=1), encoding="utf-8")
    return report


def validate_series(
    settings: Settings,
    key: SeriesKey,
    start_ms: int | None = None,
    end_ms: int | None = None,
    purpose: Purpose | str = Purpose.TRAINING,
    thresholds: QualityThresholds | None = None,
    *,
    as_of_ms: int | None = None,
    record: bool = True,
    data_docs: bool = True,
) -> QualityReport:
    """Run the gate on the stored candles of ``key`` and (by default) write and record the result.

    Never raises because the candles are bad: check ``report.success`` or call
    ``report.raise_if_failed()``.

    :param start_ms: range start, ms UTC (included); None means the first stored candle.
    :param end_ms: range end, ms UTC (included); None means the last stored candle.
    :param purpose: ``training`` (default) or ``live``.
    :param thresholds: None means the settings' thresholds for ``purpose``.
    :param as_of_ms: reference time of the staleness check, ms UTC; None means now.
    :param record: write the report files and the ``validations`` row (False: nothing is written,
        so :func:`~huracan.quality.records.require_passed` will not see this run).
    :param data_docs: also render the GX Data Docs page (when recording).
    :raises NoDataError: nothing is stored for ``key``.
    :raises ConfigError: bad timeframe, purpose, range or suite file.
    """
    from huracan.quality.records import record_validation

    purpose = Purpose.parse(purpose)
    Timeframe.parse(key.timeframe)
    store = CandleStore.open(settings.store_url)
    bounds = store.bounds(key)
    if bounds is None:
        raise NoDataError(
            f"no candles stored for {key}; run `huracan download --symbol {key.symbol} "
            f"--timeframe {key.timeframe}` first"
        )
    start_ms = bounds.first_ms if start_ms is None else start_ms
    end_ms = bounds.last_ms if end_ms is None else end_ms
    if start_ms > end_ms:
        raise ConfigError(f"the range start {format_ms(start_ms)} is after its end {format_ms(end_ms)}")
    candles = store.read(key, start_ms, end_ms)
    thresholds = thresholds or QualityThresholds.from_settings(settings, purpose)
    report, result = _run_gate(
        candles, key, start_ms, end_ms, purpose, thresholds, as_of_ms, settings.quality_suite_path
    )
    if record:
        from huracan.data.fingerprint import content_sha256

        report = write_reports(settings, report, result, data_docs)
        record_validation(store.engine, report, content_sha256(candles))
    log.info("%s", report.summary())
    return report

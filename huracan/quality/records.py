"""Validation records in the store (``validations`` table), and the guard training calls before it reads.

Each run of :func:`huracan.quality.gate.validate_series` adds one row, in one transaction, after its
report files exist. :func:`require_passed` is the rule "nothing trains on a series whose latest
validation failed": it needs no Great Expectations import, so callers stay light.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, insert, select

from huracan.clock import format_ms
from huracan.data.candle_store import CandleStore, SeriesKey
from huracan.data.fingerprint import content_sha256
from huracan.data.schema import validations
from huracan.errors import DataQualityError
from huracan.quality.thresholds import Purpose

if TYPE_CHECKING:
    from huracan.config import Settings
    from huracan.quality.report import QualityReport


@dataclass(frozen=True)
class ValidationRecord:
    """One row of the ``validations`` table.

    :param id: row id (increases with each validation).
    :param key: the series.
    :param start_ms: validated range start, ms UTC (open times, included).
    :param end_ms: validated range end, ms UTC (included).
    :param purpose: ``training`` or ``live``.
    :param success: True when no critical check failed.
    :param coverage: candles present / candles expected, a fraction.
    :param expected: grid candles in the range.
    :param present: distinct on-grid candles in the range.
    :param rows: candles read for the validation.
    :param longest_gap: longest run of missing candles, candles.
    :param failures: names of the failed critical checks.
    :param warnings: names of the failed warning checks.
    :param validated_at_ms: when the gate ran, ms UTC.
    :param report_path: folder of the run's reports (``report.json``, ``validation_result.json``,
        ``data_docs.html``), or None.
    :param content_sha256: content fingerprint of the candles read (see
        :func:`huracan.data.fingerprint.content_sha256`); None for validations recorded before the store
        kept it.
    """

    id: int
    key: SeriesKey
    start_ms: int
    end_ms: int
    purpose: str
    success: bool
    coverage: float
    expected: int
    present: int
    rows: int
    longest_gap: int
    failures: tuple[str, ...]
    warnings: tuple[str, ...]
    validated_at_ms: int
    report_path: str | None
    content_sha256: str | None = None

    def describe(self) -> str:
        """The record in words: range, when, outcome and report folder."""
        outcome = "passed" if self.success else f"failed ({', '.join(self.failures)})"
        return (
            f"validation #{self.id} of {self.key} {format_ms(self.start_ms)} .. {format_ms(self.end_ms)} "
            f"for {self.purpose} at {format_ms(self.validated_at_ms)}: {outcome}; coverage {self.coverage:.5f}, "
            f"longest gap {self.longest_gap}; report: {self.report_path or '-'}"
        )


def record_validation(engine: Engine, report: QualityReport, content_sha256: str) -> ValidationRecord:
    """Insert the summary row of ``report`` in one transaction; return it with its id.

    :param content_sha256: the content fingerprint of the candles the report judged.
    """
    values = {
        "exchange": report.key.exchange,
        "symbol": report.key.symbol,
        "timeframe": report.key.timeframe,
        "start_ms": report.start_ms,
        "end_ms": report.end_ms,
        "purpose": report.purpose.value,
        "success": report.success,
        "coverage": report.coverage,
        "expected": report.expected,
        "present": report.present,
        "rows": report.rows,
        "longest_gap": report.longest_gap,
        "failures": json.dumps(list(report.failures)),
        "warnings": json.dumps(list(report.warnings)),
        "validated_at_ms": report.validated_at_ms,
        "report_path": str(report.report_dir) if report.report_dir else None,
        "content_sha256": content_sha256,
    }
    with engine.begin() as connection:
        row_id = connection.execute(insert(validations).values(**values).returning(validations.c.id)).scalar_one()
    return _record({"id": row_id, **values})


def _record(row: dict[str, Any]) -> ValidationRecord:
    return ValidationRecord(
        id=int(row["id"]),
        key=SeriesKey(row["exchange"], row["symbol"], row["timeframe"]),
        start_ms=int(row["start_ms"]),
        end_ms=int(row["end_ms"]),
        purpose=row["purpose"],
        success=bool(row["success"]),
        coverage=float(row["coverage"]),
        expected=int(row["expected"]),
        present=int(row["present"]),
        rows=int(row["rows"]),
        longest_gap=int(row["longest_gap"]),
        failures=tuple(json.loads(row["failures"])),
        warnings=tuple(json.loads(row["warnings"])),
        validated_at_ms=int(row["validated_at_ms"]),
        report_path=row["report_path"],
        content_sha256=row.get("content_sha256"),
    )


def latest_validation_in(
    engine: Engine, key: SeriesKey, purpose: Purpose | str = Purpose.TRAINING
) -> ValidationRecord | None:
    """The most recent validation of ``key`` for ``purpose`` in the store at ``engine``, or None."""
    query = (
        select(validations)
        .where(
            validations.c.exchange == key.exchange,
            validations.c.symbol == key.symbol,
            validations.c.timeframe == key.timeframe,
            validations.c.purpose == Purpose.parse(purpose).value,
        )
        .order_by(validations.c.validated_at_ms.desc(), validations.c.id.desc())
        .limit(1)
    )
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    return _record(dict(row)) if row is not None else None


def latest_validation(
    settings: Settings, key: SeriesKey, purpose: Purpose | str = Purpose.TRAINING
) -> ValidationRecord | None:
    """The most recent validation of ``key`` for ``purpose`` (default training), or None if never validated."""
    return latest_validation_in(CandleStore.open(settings.store_url).engine, key, purpose)


def require_passed(
    settings: Settings,
    key: SeriesKey,
    start_ms: int | None = None,
    end_ms: int | None = None,
    purpose: Purpose | str = Purpose.TRAINING,
) -> ValidationRecord:
    """The latest validation of ``key`` for ``purpose``, if it allows using ``[start_ms, end_ms]``.

    Raises :class:`DataQualityError` (its message says what to run) when the series was never
    validated, when its latest validation failed (whatever range it covered), when that validation
    does not cover ``[start_ms, end_ms]``, or when the stored candles in the validated range changed
    since (their content fingerprint differs: any candle added, removed or rewritten).

    :param start_ms: first open time to be used, ms UTC; None means the first stored candle.
    :param end_ms: last open time to be used, ms UTC; None means the last stored candle.
    """
    store = CandleStore.open(settings.store_url)
    record = latest_validation_in(store.engine, key, purpose)
    command = f"huracan validate --symbol {key.symbol} --timeframe {key.timeframe} --for {Purpose.parse(purpose).value}"
    if record is None:
        raise DataQualityError(f"{key} has never been validated for {Purpose.parse(purpose).value}; run `{command}`")
    if not record.success:
        raise DataQualityError(f"the latest {record.describe()}; fix the data and run `{command}` again")
    if start_ms is None or end_ms is None:
        bounds = store.bounds(key)
        if bounds is None:
            raise DataQualityError(f"no candles stored for {key}")
        start_ms = bounds.first_ms if start_ms is None else start_ms
        end_ms = bounds.last_ms if end_ms is None else end_ms
    if start_ms < record.start_ms or end_ms > record.end_ms:
        raise DataQualityError(
            f"the latest {record.describe()} does not cover the requested {format_ms(start_ms)} .. "
            f"{format_ms(end_ms)}; run `{command} --start {start_ms} --end {end_ms}`"
        )
    if record.content_sha256 is None:
        raise DataQualityError(f"validation #{record.id} of {key} predates content fingerprints; run `{command}` again")
    now_sha256 = content_sha256(store.read(key, record.start_ms, record.end_ms))
    if now_sha256 != record.content_sha256:
        raise DataQualityError(
            f"the candles of {key} in {format_ms(record.start_ms)} .. {format_ms(record.end_ms)} changed since "
            f"validation #{record.id} (content sha256 {record.content_sha256[:12]} then, {now_sha256[:12]} now); "
            f"run `{command}` again"
        )
    return record

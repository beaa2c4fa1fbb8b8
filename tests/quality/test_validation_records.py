"""validate_series on the store (SQLite and PostgreSQL): report files, the `validations` row, and the
rule that nothing trains on a series whose latest validation failed."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from huracan.clock import parse_instant_ms as t
from huracan.config import Settings
from huracan.data.candle_store import CandleStore, SeriesKey
from huracan.data.db import create_store_engine, upgrade
from huracan.data.schema import metadata, validations
from huracan.errors import DataQualityError, NoDataError
from huracan.quality import latest_validation, require_passed, validate_series

H1 = 3_600_000
KEY = SeriesKey("binance", "BTC/USDT", "1h")
START = t("2024-01-01")
N = 600
LAST = START + (N - 1) * H1
AS_OF = LAST + H1 + 60_000


def rows_of(frame: pd.DataFrame) -> np.ndarray:
    ts = frame.index.as_unit("ms").asi8.astype(np.float64)
    return np.column_stack([ts, frame[["open", "high", "low", "close", "volume"]].to_numpy()])


@pytest.fixture
def stored(settings: Settings, candles) -> CandleStore:  # type: ignore[no-untyped-def]
    store = CandleStore.open(settings.store_url)
    store.upsert(KEY, rows_of(candles(N)))
    return store


def test_a_validation_writes_its_reports_and_one_row(settings: Settings, stored: CandleStore) -> None:
    report = validate_series(settings, KEY, as_of_ms=AS_OF)
    assert report.success and (report.start_ms, report.end_ms) == (START, LAST)
    folder = report.report_dir
    assert folder is not None and folder.parent == settings.home / "reports" / "validations" / "binance_BTC-USDT_1h"
    saved = json.loads((folder / "report.json").read_text())
    assert saved == json.loads(json.dumps(report.to_dict()))
    gx_result = json.loads((folder / "validation_result.json").read_text())
    assert len(gx_result["results"]) == len(report.checks)
    assert gx_result["success"] is all(check.success for check in report.checks)  # GX counts warnings too
    assert gx_result["meta"]["huracan"]["success"] is True
    assert "<html" in (folder / "data_docs.html").read_text().lower()
    with stored.engine.connect() as connection:
        (row,) = connection.execute(select(validations)).mappings().all()
    assert (row["exchange"], row["symbol"], row["timeframe"], row["purpose"]) == (
        "binance",
        "BTC/USDT",
        "1h",
        "training",
    )
    assert (row["start_ms"], row["end_ms"], row["success"], row["coverage"]) == (START, LAST, True, 1.0)
    assert (row["expected"], row["present"], row["rows"], row["longest_gap"]) == (N, N, N, 0)
    assert json.loads(row["failures"]) == [] and row["report_path"] == str(folder)
    assert row["validated_at_ms"] == report.validated_at_ms
    record = latest_validation(settings, KEY)
    assert record is not None and record.success and record.id == row["id"]
    assert require_passed(settings, KEY, START + 10 * H1, LAST) == record


def test_training_is_refused_unless_the_latest_validation_passed(settings: Settings, stored: CandleStore) -> None:
    with pytest.raises(DataQualityError, match="never been validated for training"):
        require_passed(settings, KEY)
    validate_series(settings, KEY, as_of_ms=AS_OF)
    require_passed(settings, KEY)
    with pytest.raises(DataQualityError, match="does not cover the requested"):
        require_passed(settings, KEY, START - H1, LAST)
    off_grid = START + 100 * H1 + 30 * 60_000
    stored.upsert(KEY, [[off_grid, 10.0, 12.0, 9.0, 11.0, 1.0]])  # the series changed after it was validated
    with pytest.raises(DataQualityError, match="changed since validation"):
        require_passed(settings, KEY, START, LAST)
    failed = validate_series(settings, KEY, as_of_ms=AS_OF)
    assert failed.failures == ("open_time_on_grid",) and failed.check("open_time_on_grid").at_ms == (off_grid,)
    with pytest.raises(DataQualityError, match="open_time_on_grid") as caught:
        require_passed(settings, KEY, START, START + 10 * H1)  # even for a range the failure is not in
    assert str(failed.report_dir) in str(caught.value)
    assert latest_validation(settings, KEY).failures == ("open_time_on_grid",)  # type: ignore[union-attr]
    assert latest_validation(settings, KEY, "live") is None


def test_a_same_count_rewrite_needs_a_new_validation(settings: Settings, stored: CandleStore) -> None:
    """Issue 9, finding 12: the validation is tied to the content fingerprint, not the row count."""
    record = validate_series(settings, KEY, as_of_ms=AS_OF, data_docs=False)
    require_passed(settings, KEY)
    frame = stored.read(KEY, START + 10 * H1, START + 10 * H1)
    rewritten = rows_of(frame)
    rewritten[0, 4] = rewritten[0, 4] * 1.001  # a different close, still inside high/low
    rewritten[0, 2] = max(rewritten[0, 2], rewritten[0, 4])
    stored.upsert(KEY, rewritten)
    assert stored.bounds(KEY).count == record.rows  # same count
    with pytest.raises(DataQualityError, match=r"changed since validation .*content sha256"):
        require_passed(settings, KEY)
    validate_series(settings, KEY, as_of_ms=AS_OF, data_docs=False)
    assert require_passed(settings, KEY).content_sha256 is not None


def test_a_validation_without_a_fingerprint_counts_as_outdated(settings: Settings, stored: CandleStore) -> None:
    """Rows recorded before migration 0003 carry no fingerprint: validate again."""
    validate_series(settings, KEY, as_of_ms=AS_OF, data_docs=False)
    with stored.engine.begin() as connection:
        connection.execute(validations.update().values(content_sha256=None))
    with pytest.raises(DataQualityError, match="predates content fingerprints"):
        require_passed(settings, KEY)


@pytest.mark.parametrize(
    ("row", "purpose", "failure"),
    [
        ([START + 50 * H1, 10.0, 9.0, 9.5, 9.8, 1.0], "training", "high_ge_low"),
        ([START + 50 * H1, 10.0, 10.5, 9.5, 11.0, 1.0], "training", "high_ge_body"),
        ([START + 50 * H1, 10.0, 10.5, 9.5, 10.0, -1.0], "training", "volume_non_negative"),
        ([START + 50 * H1 + 60_000, 10.0, 10.5, 9.5, 10.0, 1.0], "training", "open_time_on_grid"),
    ],
    ids=["high<low", "close>high", "negative-volume", "off-grid"],
)
def test_stored_corruptions_are_named(settings: Settings, stored: CandleStore, row, purpose, failure) -> None:  # type: ignore[no-untyped-def]
    stored.upsert(KEY, [row])
    report = validate_series(settings, KEY, purpose=purpose, as_of_ms=AS_OF, data_docs=False)
    assert failure in report.failures
    assert int(row[0]) in report.check(failure).at_ms
    assert latest_validation(settings, KEY, purpose).failures == report.failures  # type: ignore[union-attr]


def test_stored_gap_and_stale_series(settings: Settings, candles) -> None:  # type: ignore[no-untyped-def]
    store = CandleStore.open(settings.store_url)
    frame = candles(N)
    store.upsert(KEY, rows_of(frame.drop(frame.index[100:104])))
    report = validate_series(settings, KEY, purpose="live", as_of_ms=AS_OF + 3 * H1, data_docs=False)
    assert set(report.failures) == {"longest_gap", "staleness"}
    assert report.longest_gap == 4 and report.gaps[0].first_ms == START + 100 * H1
    assert report.to_dict()["gaps"] == [[START + 100 * H1, START + 103 * H1]]


def test_an_empty_series_is_a_clear_error(settings: Settings) -> None:
    with pytest.raises(NoDataError, match="no candles stored for binance ETH/USDT 1h"):
        validate_series(settings, SeriesKey("binance", "ETH/USDT", "1h"))


def test_the_schema_module_matches_the_migrations(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = create_store_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert [d for d in diff if "huracan_alembic_version" not in str(d)] == []
    engine.dispose()

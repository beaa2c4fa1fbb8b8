"""The candle store on SQLite and PostgreSQL: migrations, idempotent upsert, reads, bounds and gaps."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import inspect

from huracan.data.candle_store import CandleStore, Gap, SeriesBounds, SeriesKey
from huracan.data.db import VERSION_TABLE, create_store_engine, current_revision, open_engine

HOUR_MS = 3_600_000
T0 = 1_577_836_800_000  # 2020-01-01 00:00 UTC
KEY = SeriesKey("binance", "BTC/USDT", "1h")


def candles(n: int, start_ms: int = T0, step_ms: int = HOUR_MS, price: float = 100.0) -> list[list[float]]:
    return [
        [start_ms + i * step_ms, price + i, price + i + 2, price + i - 1, price + i + 1, 10.0 + i] for i in range(n)
    ]


def test_first_use_applies_migrations(store_url: str) -> None:
    engine = open_engine(store_url)
    tables = set(inspect(engine).get_table_names())
    assert {"candles", VERSION_TABLE} <= tables
    assert current_revision(engine) is not None


def test_upsert_is_idempotent_and_updates_revised_candles(store_url: str) -> None:
    store = CandleStore.open(store_url)
    rows = candles(50)
    assert store.upsert(KEY, rows) == 50
    assert store.upsert(KEY, rows) == 50
    revised = [list(rows[10])]
    revised[0][4] = 999.5
    store.upsert(KEY, revised)
    frame = store.read(KEY)
    assert len(frame) == 50
    assert frame["close"].iloc[10] == 999.5
    assert frame["close"].iloc[11] == rows[11][4]
    assert store.bounds(KEY) == SeriesBounds(T0, T0 + 49 * HOUR_MS, 50)


def test_read_returns_candle_frame_with_utc_index(store_url: str) -> None:
    store = CandleStore.open(store_url)
    store.upsert(KEY, candles(5))
    frame = store.read(KEY, start_ms=T0 + HOUR_MS, end_ms=T0 + 3 * HOUR_MS)
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert frame.index.name == "open_time"
    assert str(frame.index.tz) == "UTC"
    assert frame.index[0] == pd.Timestamp("2020-01-01 01:00", tz="UTC")
    assert len(frame) == 3
    assert all(dtype == "float64" for dtype in frame.dtypes)
    assert frame.loc[pd.Timestamp("2020-01-01 02:00", tz="UTC"), "volume"] == 12.0


def test_series_are_kept_apart(store_url: str) -> None:
    store = CandleStore.open(store_url)
    other = SeriesKey("binance", "ETH/USDT", "1h")
    store.upsert(KEY, candles(3))
    store.upsert(other, candles(7, price=5.0))
    assert store.bounds(KEY).count == 3
    assert store.bounds(other).count == 7
    assert store.bounds(SeriesKey("binance", "BTC/USDT", "1d")) is None
    assert [key for key, _ in store.series()] == [KEY, other]
    assert store.read(SeriesKey("binance", "XRP/USDT", "1h")).empty


def test_gaps_list_every_hole_with_its_size(store_url: str) -> None:
    store = CandleStore.open(store_url)
    rows = candles(20)
    kept = [row for i, row in enumerate(rows) if i not in (3, 10, 11, 12)]
    store.upsert(KEY, kept)
    assert store.gaps(KEY, HOUR_MS) == [
        Gap(T0 + 3 * HOUR_MS, T0 + 3 * HOUR_MS, 1),
        Gap(T0 + 10 * HOUR_MS, T0 + 12 * HOUR_MS, 3),
    ]
    assert store.gaps(KEY, HOUR_MS, start_ms=T0 + 5 * HOUR_MS) == [Gap(T0 + 10 * HOUR_MS, T0 + 12 * HOUR_MS, 3)]


def test_a_failed_batch_writes_nothing(store_url: str) -> None:
    store = CandleStore.open(store_url)
    rows = candles(10)
    rows[7] = [rows[7][0], "not a number", 1, 1, 1, 1]
    with pytest.raises(ValueError):
        store.upsert(KEY, rows)
    assert store.bounds(KEY) is None


def test_unsupported_database_url_is_named(tmp_path) -> None:
    from huracan.errors import ConfigError

    with pytest.raises(ConfigError, match="mysql"):
        create_store_engine("mysql://localhost/x")
    with pytest.raises(ConfigError, match="not a valid SQLAlchemy URL"):
        create_store_engine("::nonsense::")

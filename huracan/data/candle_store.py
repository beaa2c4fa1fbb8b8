"""The candle store: every candle stored exactly once, keyed by (exchange, symbol, timeframe, open time).

Writes are idempotent bulk upserts (``INSERT ... ON CONFLICT DO UPDATE``), one transaction per batch,
so a rerun or a retried task never duplicates or half-writes a batch. Reads return the project's
candle frame: a UTC ``DatetimeIndex`` of open times named ``open_time`` and float64 columns
``open, high, low, close`` (quote currency) and ``volume`` (base asset).
"""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence
from itertools import repeat
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import ColumnElement, Engine, and_, func, select

from huracan.data.db import open_engine
from huracan.data.schema import candles
from huracan.series import CANDLE_COLUMNS as COLUMNS
from huracan.series import Gap, SeriesBounds, SeriesKey

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CandleStore", "Gap", "SeriesBounds", "SeriesKey"]
_KEY_COLUMNS = ("exchange", "symbol", "timeframe", "ts_ms")
_PG_STAGING = "candles_staging"


_PG_STAGING_DDL = (
    f"CREATE TEMP TABLE IF NOT EXISTS {_PG_STAGING} (ts_ms bigint, "
    + ", ".join(f"{name} float8" for name in COLUMNS)
    + ") ON COMMIT DELETE ROWS"
)
# One row of PostgreSQL's binary COPY format for (ts_ms bigint, 5 x float8): field count, then
# (byte length, big-endian value) per field.
_PG_ROW = np.dtype(
    [("fields", ">i2"), ("ts_len", ">i4"), ("ts_ms", ">i8")]
    + [item for name in COLUMNS for item in ((f"{name}_len", ">i4"), (name, ">f8"))]
)
_PG_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_PG_COPY_TRAILER = struct.pack(">h", -1)


def _candle_array(rows: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    """``rows`` as an ``(n, 6)`` float64 array; ValueError naming the problem otherwise."""
    try:
        batch = np.asarray(rows, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"candle rows must be [ts_ms, open, high, low, close, volume] numbers: {exc}") from exc
    if batch.size == 0:
        return batch.reshape(0, 6)
    if batch.ndim != 2 or batch.shape[1] != 6:
        raise ValueError(f"candle rows must have 6 columns, got an array of shape {batch.shape}")
    if not np.isfinite(batch).all():  # SQLite refuses NaN in NOT NULL columns, PostgreSQL stores it: neither
        bad = batch[~np.isfinite(batch).all(axis=1)][0]
        raise ValueError(f"candle rows must be finite numbers; got {bad.tolist()}")
    return batch


def _pg_binary_copy(batch: np.ndarray) -> io.BytesIO:
    records = np.empty(len(batch), dtype=_PG_ROW)
    records["fields"] = 1 + len(COLUMNS)
    records["ts_len"] = 8
    records["ts_ms"] = batch[:, 0].astype(np.int64)
    for i, name in enumerate(COLUMNS, start=1):
        records[f"{name}_len"] = 8
        records[name] = batch[:, i]
    return io.BytesIO(_PG_COPY_HEADER + records.tobytes() + _PG_COPY_TRAILER)


class CandleStore:
    """Candles in a SQL database (PostgreSQL or SQLite), through SQLAlchemy Core.

    :param engine: an engine whose database is migrated (see :func:`huracan.data.db.open_engine`).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        on_conflict = (
            f"ON CONFLICT ({', '.join(_KEY_COLUMNS)}) DO UPDATE SET "
            + ", ".join(f"{name} = excluded.{name}" for name in COLUMNS)
            # a candle stored again unchanged (reruns, hole re-fetches) costs no write
            + f" WHERE ({', '.join(f'{candles.name}.{n}' for n in COLUMNS)})"
            + f" IS DISTINCT FROM ({', '.join(f'excluded.{n}' for n in COLUMNS)})"
        )
        if self._postgres:
            self._upsert_sql = (
                f"INSERT INTO {candles.name} ({', '.join(_KEY_COLUMNS)}, {', '.join(COLUMNS)}) "
                f"SELECT %s, %s, %s, ts_ms, {', '.join(COLUMNS)} FROM {_PG_STAGING} {on_conflict}"
            )
        else:
            placeholders = ", ".join("?" * (len(_KEY_COLUMNS) + len(COLUMNS)))
            self._upsert_sql = (
                f"INSERT INTO {candles.name} ({', '.join(_KEY_COLUMNS)}, {', '.join(COLUMNS)}) "
                f"VALUES ({placeholders}) {on_conflict}"
            )

    @classmethod
    def open(cls, url: str) -> CandleStore:
        """The store at SQLAlchemy ``url``, migrated to the latest schema."""
        return cls(open_engine(url))

    def upsert(self, key: SeriesKey, rows: np.ndarray | Sequence[Sequence[float]]) -> int:
        """Insert or update candles ``[ts_ms, open, high, low, close, volume]`` in one transaction.

        ``rows`` is an ``(n, 6)`` array or a sequence of rows; returns ``n``. An empty batch writes
        nothing; rows that are not six finite numbers raise ValueError before anything is written, on
        both databases. Whether the candles make sense is checked by the callers that receive them
        (:mod:`huracan.data.candle_checks`: the sync and the CSV importer). Both
        databases run the same ``ON CONFLICT`` upsert, fed through the driver's bulk path (PostgreSQL:
        binary ``COPY`` into a session-local staging table; SQLite: ``executemany``), because per-row
        parameter handling costs more than the database's own work.
        """
        batch = _candle_array(rows)
        if not len(batch):
            return 0
        with self.engine.begin() as connection:
            cursor = connection.connection.cursor()
            try:
                if self._postgres:
                    cursor.execute(_PG_STAGING_DDL)
                    cursor.copy_expert(f"COPY {_PG_STAGING} FROM STDIN WITH (FORMAT binary)", _pg_binary_copy(batch))
                    cursor.execute(self._upsert_sql, (key.exchange, key.symbol, key.timeframe))
                else:
                    head = (repeat(key.exchange), repeat(key.symbol), repeat(key.timeframe))
                    ts_ms = batch[:, 0].astype(np.int64).tolist()
                    values = (batch[:, i].tolist() for i in range(1, 1 + len(COLUMNS)))  # column lists: cheap
                    cursor.executemany(
                        self._upsert_sql, list(zip(*head, ts_ms, *values, strict=False))
                    )  # repeat(): endless
            finally:
                cursor.close()
        return len(batch)

    def _where(self, key: SeriesKey, start_ms: int | None = None, end_ms: int | None = None) -> ColumnElement[bool]:
        clauses = [
            candles.c.exchange == key.exchange,
            candles.c.symbol == key.symbol,
            candles.c.timeframe == key.timeframe,
        ]
        if start_ms is not None:
            clauses.append(candles.c.ts_ms >= start_ms)
        if end_ms is not None:
            clauses.append(candles.c.ts_ms <= end_ms)
        return and_(*clauses)

    def bounds(self, key: SeriesKey, start_ms: int | None = None, end_ms: int | None = None) -> SeriesBounds | None:
        """First and last stored open time and the row count within ``[start_ms, end_ms]``; None if empty."""
        query = select(func.min(candles.c.ts_ms), func.max(candles.c.ts_ms), func.count()).where(
            self._where(key, start_ms, end_ms)
        )
        with self.engine.connect() as connection:
            first, last, count = connection.execute(query).one()
        if not count:
            return None
        return SeriesBounds(int(first), int(last), int(count))

    def gaps(
        self, key: SeriesKey, timeframe_ms: int, start_ms: int | None = None, end_ms: int | None = None
    ) -> list[Gap]:
        """Holes between consecutive stored candles within ``[start_ms, end_ms]``, oldest first."""
        previous = func.lag(candles.c.ts_ms).over(order_by=candles.c.ts_ms).label("previous_ms")
        inner = select(candles.c.ts_ms, previous).where(self._where(key, start_ms, end_ms)).subquery()
        query = (
            select(inner.c.previous_ms, inner.c.ts_ms)
            .where(inner.c.ts_ms - inner.c.previous_ms > timeframe_ms)
            .order_by(inner.c.ts_ms)
        )
        with self.engine.connect() as connection:
            pairs = connection.execute(query).all()
        return [
            Gap(int(prev) + timeframe_ms, int(nxt) - timeframe_ms, (int(nxt) - int(prev)) // timeframe_ms - 1)
            for prev, nxt in pairs
        ]

    def read(self, key: SeriesKey, start_ms: int | None = None, end_ms: int | None = None) -> pd.DataFrame:
        """Stored candles with open time in ``[start_ms, end_ms]`` (ms UTC), oldest first, as a candle frame."""
        import pandas as pd

        query = (
            select(candles.c.ts_ms, *(candles.c[name] for name in COLUMNS))
            .where(self._where(key, start_ms, end_ms))
            .order_by(candles.c.ts_ms)
        )
        with self.engine.connect() as connection:
            rows = list(map(tuple, connection.execute(query)))
        data = np.array(rows, dtype=np.float64).reshape(len(rows), 1 + len(COLUMNS))
        index = pd.DatetimeIndex(pd.to_datetime(data[:, 0].astype(np.int64), unit="ms", utc=True), name="open_time")
        return pd.DataFrame(data[:, 1:], index=index, columns=list(COLUMNS))

    def series(self) -> list[tuple[SeriesKey, SeriesBounds]]:
        """Every stored series with its bounds."""
        query = (
            select(
                candles.c.exchange,
                candles.c.symbol,
                candles.c.timeframe,
                func.min(candles.c.ts_ms),
                func.max(candles.c.ts_ms),
                func.count(),
            )
            .group_by(candles.c.exchange, candles.c.symbol, candles.c.timeframe)
            .order_by(candles.c.exchange, candles.c.symbol, candles.c.timeframe)
        )
        with self.engine.connect() as connection:
            return [
                (SeriesKey(ex, sym, tf), SeriesBounds(int(first), int(last), int(count)))
                for ex, sym, tf, first, last, count in connection.execute(query)
            ]

"""The store's tables as SQLAlchemy Core objects, used for queries.

The schema itself is created and evolved only by the Alembic migrations in ``migrations/versions``;
this module must describe the schema those migrations produce.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

#: One row per candle. ``ts_ms`` is the candle's open time in ms UTC; prices in quote currency,
#: ``volume`` in base asset.
candles = Table(
    "candles",
    metadata,
    Column("exchange", String(32), primary_key=True),
    Column("symbol", String(32), primary_key=True),
    Column("timeframe", String(8), primary_key=True),
    Column("ts_ms", BigInteger, primary_key=True),
    Column("open", Float(53), nullable=False),
    Column("high", Float(53), nullable=False),
    Column("low", Float(53), nullable=False),
    Column("close", Float(53), nullable=False),
    Column("volume", Float(53), nullable=False),
)

#: One row per run of the data-quality gate on a series: the validated range of open times
#: ``[start_ms, end_ms]`` (ms UTC, both included), the purpose (``training`` or ``live``), whether no
#: critical check failed, coverage (a fraction), candles expected/present on the grid, rows read,
#: the longest gap (candles), the failed critical and warning check names (JSON lists), when it ran
#: (ms UTC), the folder holding its reports and the content fingerprint (SHA-256 hex, see
#: ``huracan.data.fingerprint.content_sha256``) of the candles it read (NULL before revision 0003).
validations = Table(
    "validations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("exchange", String(32), nullable=False),
    Column("symbol", String(32), nullable=False),
    Column("timeframe", String(8), nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("success", Boolean, nullable=False),
    Column("coverage", Float(53), nullable=False),
    Column("expected", BigInteger, nullable=False),
    Column("present", BigInteger, nullable=False),
    Column("rows", BigInteger, nullable=False),
    Column("longest_gap", BigInteger, nullable=False),
    Column("failures", Text, nullable=False),
    Column("warnings", Text, nullable=False),
    Column("validated_at_ms", BigInteger, nullable=False),
    Column("report_path", Text, nullable=True),
    Column("content_sha256", String(64), nullable=True),
    Index("ix_validations_series_latest", "exchange", "symbol", "timeframe", "purpose", "validated_at_ms", "id"),
)

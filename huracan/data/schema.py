"""The store's tables as SQLAlchemy Core objects, used for queries.

The schema itself is created and evolved only by the Alembic migrations in ``migrations/versions``;
this module must describe the schema those migrations produce.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, MetaData, String, Table

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

"""Validations: one row per run of the data-quality gate (``huracan validate``) on a candle series.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "validations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("exchange", sa.String(32), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("timeframe", sa.String(8), nullable=False),
        sa.Column("start_ms", sa.BigInteger, nullable=False),
        sa.Column("end_ms", sa.BigInteger, nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("success", sa.Boolean, nullable=False),
        sa.Column("coverage", sa.Float(53), nullable=False),
        sa.Column("expected", sa.BigInteger, nullable=False),
        sa.Column("present", sa.BigInteger, nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("longest_gap", sa.BigInteger, nullable=False),
        sa.Column("failures", sa.Text, nullable=False),
        sa.Column("warnings", sa.Text, nullable=False),
        sa.Column("validated_at_ms", sa.BigInteger, nullable=False),
        sa.Column("report_path", sa.Text, nullable=True),
    )
    op.create_index(
        "ix_validations_series_latest",
        "validations",
        ["exchange", "symbol", "timeframe", "purpose", "validated_at_ms", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_validations_series_latest", table_name="validations")
    op.drop_table("validations")

"""Tick health: one row per live tick and account (status, duration, data quality, model, model watch).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tick_health",
        sa.Column("account", sa.String(64), primary_key=True),
        sa.Column("symbol", sa.String(32), primary_key=True),
        sa.Column("timeframe", sa.String(8), primary_key=True),
        sa.Column("decision_ms", sa.BigInteger, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("duration_ms", sa.BigInteger, nullable=False),
        sa.Column("quality", sa.Text, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("model_name", sa.String(128), nullable=True),
        sa.Column("model_version", sa.String(16), nullable=True),
        sa.Column("live_decisions", sa.Integer, nullable=True),
        sa.Column("action_tv", sa.Float(53), nullable=True),
        sa.Column("drift_frac", sa.Float(53), nullable=True),
        sa.Column("fills", sa.Integer, nullable=True),
        sa.Column("slippage_ratio", sa.Float(53), nullable=True),
        sa.Column("recorded_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_tick_health_series", "tick_health", ["symbol", "timeframe", "decision_ms"])


def downgrade() -> None:
    op.drop_index("ix_tick_health_series", table_name="tick_health")
    op.drop_table("tick_health")

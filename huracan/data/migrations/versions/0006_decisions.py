"""Decisions: one row per account, symbol, timeframe and decision time of a live tick or a replay.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("timeframe", sa.String(8), nullable=False),
        sa.Column("decision_ms", sa.BigInteger, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("model_name", sa.String(128), nullable=True),
        sa.Column("model_version", sa.String(16), nullable=True),
        sa.Column("model_uri", sa.Text, nullable=True),
        sa.Column("obs_sha256", sa.String(64), nullable=True),
        sa.Column("action", sa.Integer, nullable=True),
        sa.Column("level_before", sa.Integer, nullable=True),
        sa.Column("target_frac", sa.Float(53), nullable=True),
        sa.Column("client_order_id", sa.String(36), nullable=True),
        sa.Column("verdict", sa.String(16), nullable=True),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("equity_quote", sa.Float(53), nullable=True),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("account", "symbol", "timeframe", "decision_ms", name="uq_decisions_tick"),
    )


def downgrade() -> None:
    op.drop_table("decisions")

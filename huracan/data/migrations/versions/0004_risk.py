"""Risk: the risk manager's state per account, every decision, and every trading-state change.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_state",
        sa.Column("account", sa.String(64), primary_key=True),
        sa.Column("trading_state", sa.String(16), nullable=False),
        sa.Column("reason_code", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("since_ms", sa.BigInteger, nullable=True),
        sa.Column("high_water_quote", sa.Float(53), nullable=True),
        sa.Column("day_start_ms", sa.BigInteger, nullable=True),
        sa.Column("day_start_equity_quote", sa.Float(53), nullable=True),
        sa.Column("last_equity_quote", sa.Float(53), nullable=True),
        sa.Column("updated_ms", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "risk_decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("intent_key", sa.String(255), nullable=False, unique=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("qty_base", sa.Float(53), nullable=False),
        sa.Column("price_quote", sa.Float(53), nullable=False),
        sa.Column("decision_ms", sa.BigInteger, nullable=False),
        sa.Column("data_close_ms", sa.BigInteger, nullable=False),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("reduce_only", sa.Boolean, nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("approved_qty_base", sa.Float(53), nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("state_after", sa.String(16), nullable=False),
        sa.Column("flatten", sa.Boolean, nullable=False),
        sa.Column("checked_ms", sa.BigInteger, nullable=False),
        sa.Column("equity_quote", sa.Float(53), nullable=False),
    )
    op.create_index("ix_risk_decisions_account_checked", "risk_decisions", ["account", "checked_ms", "id"])
    op.create_table(
        "risk_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("at_ms", sa.BigInteger, nullable=False),
        sa.Column("from_state", sa.String(16), nullable=False),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("equity_quote", sa.Float(53), nullable=True),
        sa.Column("high_water_quote", sa.Float(53), nullable=True),
    )
    op.create_index("ix_risk_events_account_at", "risk_events", ["account", "at_ms", "id"])


def downgrade() -> None:
    op.drop_index("ix_risk_events_account_at", table_name="risk_events")
    op.drop_table("risk_events")
    op.drop_index("ix_risk_decisions_account_checked", table_name="risk_decisions")
    op.drop_table("risk_decisions")
    op.drop_table("risk_state")

"""Trade memory: one row per round trip (entry to exit) of an account and symbol.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trade_memory",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("timeframe", sa.String(8), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("model_name", sa.String(128), nullable=True),
        sa.Column("model_version", sa.String(16), nullable=True),
        sa.Column("entry_ms", sa.BigInteger, nullable=False),
        sa.Column("exit_ms", sa.BigInteger, nullable=False),
        sa.Column("entry_price_quote", sa.Float(53), nullable=False),
        sa.Column("exit_price_quote", sa.Float(53), nullable=False),
        sa.Column("qty_base", sa.Float(53), nullable=False),
        sa.Column("fees_quote", sa.Float(53), nullable=False),
        sa.Column("profit_quote", sa.Float(53), nullable=False),
        sa.Column("profit_frac", sa.Float(53), nullable=False),
        sa.Column("holding_ms", sa.BigInteger, nullable=False),
        sa.Column("mae_frac", sa.Float(53), nullable=False),
        sa.Column("mfe_frac", sa.Float(53), nullable=False),
        sa.Column("entry_obs", sa.LargeBinary, nullable=True),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("account", "symbol", "entry_ms", name="uq_trade_memory_entry"),
    )
    op.create_index("ix_trade_memory_symbol_source", "trade_memory", ["symbol", "source"])


def downgrade() -> None:
    op.drop_index("ix_trade_memory_symbol_source", table_name="trade_memory")
    op.drop_table("trade_memory")

"""Execution: accounts, books (per account and symbol), orders (by client order id) and fills (by trade id).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_MONEY = sa.Float(53)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("account", sa.String(64), primary_key=True),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("currency", sa.String(16), nullable=False),
        sa.Column("starting_equity_quote", _MONEY, nullable=False),
        sa.Column("cash_quote", _MONEY, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "books",
        sa.Column("account", sa.String(64), primary_key=True),
        sa.Column("symbol", sa.String(32), primary_key=True),
        sa.Column("allocation_quote", _MONEY, nullable=False),
        sa.Column("cash_quote", _MONEY, nullable=False),
        sa.Column("position_base", _MONEY, nullable=False),
        sa.Column("cost_basis_quote", _MONEY, nullable=False),
        sa.Column("realised_pnl_quote", _MONEY, nullable=False),
        sa.Column("costs_quote", _MONEY, nullable=False),
        sa.Column("mark_quote", _MONEY, nullable=True),
        sa.Column("mark_ms", sa.BigInteger, nullable=True),
        sa.Column("target_frac", _MONEY, nullable=True),
        sa.Column("halted_reason", sa.Text, nullable=True),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "orders",
        sa.Column("client_order_id", sa.String(36), primary_key=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("decision_ms", sa.BigInteger, nullable=False),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("target_frac", _MONEY, nullable=True),
        sa.Column("qty_base", _MONEY, nullable=True),
        sa.Column("limit_quote", _MONEY, nullable=True),
        sa.Column("reprices", sa.Integer, nullable=False),
        sa.Column("filled_base", _MONEY, nullable=False),
        sa.Column("avg_price_quote", _MONEY, nullable=False),
        sa.Column("fee_quote", _MONEY, nullable=False),
        sa.Column("cost_quote", _MONEY, nullable=False),
        sa.Column("exchange_order_id", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_orders_account_symbol_status", "orders", ["account", "symbol", "status"])
    op.create_table(
        "fills",
        sa.Column("trade_id", sa.String(64), primary_key=True),
        sa.Column("client_order_id", sa.String(36), nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("qty_base", _MONEY, nullable=False),
        sa.Column("price_quote", _MONEY, nullable=False),
        sa.Column("reference_quote", _MONEY, nullable=False),
        sa.Column("fee_quote", _MONEY, nullable=False),
        sa.Column("cost_quote", _MONEY, nullable=False),
        sa.Column("maker", sa.Boolean, nullable=False),
        sa.Column("ts_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_fills_account_symbol_ts", "fills", ["account", "symbol", "ts_ms"])


def downgrade() -> None:
    op.drop_index("ix_fills_account_symbol_ts", table_name="fills")
    op.drop_table("fills")
    op.drop_index("ix_orders_account_symbol_status", table_name="orders")
    op.drop_table("orders")
    op.drop_table("books")
    op.drop_table("accounts")

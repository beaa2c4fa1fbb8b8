"""Validations record the content fingerprint of the candles they saw.

``validations.content_sha256``: :func:`huracan.data.fingerprint.content_sha256` of the stored candles
in the validated range at validation time. Training compares it with the store's content now, so a
rewrite that keeps the row count still needs a new validation. Rows from before this revision have
NULL and count as outdated.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("validations", sa.Column("content_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("validations") as batch:
        batch.drop_column("content_sha256")

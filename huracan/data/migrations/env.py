"""Alembic environment: runs the store's migrations on the connection handed over by huracan.data.db."""

from __future__ import annotations

from alembic import context

from huracan.data.db import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table=VERSION_TABLE, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

"""Migration 0009 (tick health) on SQLite and PostgreSQL: it matches the schema, downgrades and upgrades."""

from __future__ import annotations

from pathlib import Path


def test_the_tick_health_migration_matches_the_schema_and_downgrades(store_url: str) -> None:
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import inspect

    from huracan.data import db
    from huracan.data.db import VERSION_TABLE, create_store_engine, current_revision, upgrade
    from huracan.data.schema import metadata

    engine = create_store_engine(store_url)
    upgrade(engine)
    assert current_revision(engine) == "0009"
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert [d for d in diff if VERSION_TABLE not in str(d)] == []
    assert "tick_health" in set(inspect(engine).get_table_names())
    config = Config()
    config.set_main_option("script_location", str(Path(db.__file__).with_name("migrations")))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
    assert "tick_health" not in set(inspect(engine).get_table_names())
    assert "alerts" in set(inspect(engine).get_table_names())
    upgrade(engine)
    assert "tick_health" in set(inspect(engine).get_table_names())
    engine.dispose()

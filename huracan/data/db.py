"""Connections to the store and its schema migrations.

The store is PostgreSQL (through psycopg2) when deployed and a SQLite file by default. Its schema is
owned by the Alembic migrations in ``huracan/data/migrations``; :func:`open_engine` applies any that
are missing the first time a process opens a URL, and ``huracan db upgrade`` applies them explicitly.
Alembic's version table is ``huracan_alembic_version``, so the store can share a PostgreSQL
database with Airflow or MLflow (both also use Alembic) without clashing.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from huracan.errors import ConfigError, StoreError
from huracan.redaction import redact

log = logging.getLogger(__name__)

VERSION_TABLE = "huracan_alembic_version"
_MIGRATIONS = Path(__file__).with_name("migrations")

_PG_MIGRATION_LOCK = 0x48555243  # advisory lock key ("HURC")

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer (parallel Airflow tasks)
    cursor.execute("PRAGMA busy_timeout=30000")  # ms to wait for another writer's lock
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_store_engine(url: str) -> Engine:
    """A new engine for ``url`` (SQLite gets WAL and a 30 s busy timeout; its folder is created).

    Raises :class:`ConfigError` naming the URL (password hidden) when it is not a PostgreSQL or SQLite
    URL or its folder cannot be created.
    """
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a terse message
        raise ConfigError(f"HURACAN_DB_URL={redact(url)!r} is not a valid SQLAlchemy URL: {redact(str(exc))}") from exc
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(
                    f"HURACAN_DB_URL={shown!r}: cannot create the folder {folder}: {exc.strerror}"
                ) from exc
        engine = create_engine(parsed)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(parsed, pool_pre_ping=True)
    raise ConfigError(f"HURACAN_DB_URL={shown!r}: only postgresql and sqlite stores are supported")


def store_failure(engine: Engine, exc: SQLAlchemyError) -> StoreError:
    """A one-line :class:`StoreError` for a database error on ``engine``: the URL (password hidden) and
    the driver's first line (e.g. "connection refused", "database ... does not exist", "file is not a
    database")."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first_line = next((line.strip() for line in str(cause).splitlines() if line.strip()), type(cause).__name__)
    shown = engine.url.render_as_string(hide_password=True)
    return StoreError(f"store {shown}: {redact(first_line)}")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the store's migrations up to ``revision`` on ``engine``."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with _migration_lock(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # parallel first uses (e.g. mapped Airflow tasks) migrate one after the other
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise migrations of one SQLite file across processes (PostgreSQL uses an advisory lock)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def head_revision() -> str:
    """The newest revision of the store's migrations (what :func:`upgrade` brings a store to)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    if head is None:
        raise StoreError(f"no migrations found in {_MIGRATIONS}")
    return head


def current_revision(engine: Engine) -> str | None:
    """The store's schema revision, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def open_engine(url: str) -> Engine:
    """The process-wide engine for ``url``, migrated to the latest schema on first use.

    Raises :class:`StoreError` (one line) when the database cannot be reached or opened.
    """
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_store_engine(url)
            try:
                upgrade(engine)
            except SQLAlchemyError as exc:
                engine.dispose()
                raise store_failure(engine, exc) from exc
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    """Close every engine :func:`open_engine` made (tests and forked workers call this)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()

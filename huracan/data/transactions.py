"""Transactions on the store that can share one connection: :func:`unit_of_work` and :func:`transaction`.

A store method that writes opens :func:`transaction` on its engine: a new transaction, committed when
the block ends. Inside a :func:`unit_of_work` on the same engine (in the same thread or task), every
:func:`transaction` joins the unit's one connection instead, so several stores' writes (a paper tick's
orders, fills, book, risk state and decision) commit together, once, or not at all.

Writes that must happen once (a decision, an order, a fill) are an ``INSERT ... ON CONFLICT DO NOTHING``
(:func:`insert_once`), whose row count says whether this call wrote.

A unit also carries a cache that lives as long as its transaction: a store may keep rows it read or
wrote there (under keys of its own) instead of reading them again; every write through the unit must
keep what it cached true. An update of a cached row may be deferred to the unit's end (:meth:`Unit.defer`),
so a row updated at every step of a batch is written once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Executable, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import ReturningInsert


@dataclass
class Unit:
    """One open unit of work: its connection (inside a transaction), its cache and its deferred writes."""

    connection: Connection
    cache: dict[Any, Any] = field(default_factory=dict)
    deferred: dict[Any, tuple[Executable, dict[str, Any]]] = field(default_factory=dict)

    def defer(self, key: Any, statement: Executable, values: dict[str, Any]) -> None:
        """Execute ``statement`` with ``values`` when the unit ends (or at :meth:`flush`) instead of now; a
        later write under the same ``key`` (the row it updates) replaces this one. For updates of rows the
        unit's cache holds, whose readers read the cache."""
        self.deferred[key] = (statement, values)

    def flush(self) -> None:
        """Execute the deferred writes, in the order their keys were first deferred."""
        while self.deferred:
            key = next(iter(self.deferred))
            statement, values = self.deferred.pop(key)
            self.connection.execute(statement, values)


_UNITS: ContextVar[dict[Engine, Unit] | None] = ContextVar("huracan_units", default=None)


def current_unit(engine: Engine) -> Unit | None:
    """The unit of work open on ``engine`` in this context, or ``None``."""
    units = _UNITS.get()
    return None if units is None else units.get(engine)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Unit]:
    """One transaction on ``engine`` that every :func:`transaction` on it inside the block joins; committed
    when the block ends normally, rolled back (all of it) on an exception. A unit inside a unit on the
    same engine is the outer one."""
    unit = current_unit(engine)
    if unit is not None:
        yield unit
        return
    with engine.begin() as connection:
        unit = Unit(connection)
        token = _UNITS.set({**(_UNITS.get() or {}), engine: unit})
        try:
            yield unit
            unit.flush()
        finally:
            _UNITS.reset(token)


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection to read with: the open unit of work's (which sees what the unit wrote, its deferred
    writes executed first), or a new one."""
    unit = current_unit(engine)
    if unit is not None:
        unit.flush()
        yield unit.connection
        return
    with engine.connect() as connection:
        yield connection


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction on ``engine``: the open unit of work's, or a new one committed when the block ends."""
    unit = current_unit(engine)
    if unit is not None:
        yield unit.connection
        return
    with engine.begin() as connection:
        yield connection


def dialect_insert(engine: Engine, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An ``INSERT`` into ``table`` in ``engine``'s dialect (PostgreSQL or SQLite), which has ``ON CONFLICT``."""
    return (postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert)(table)


def insert_once(engine: Engine, table: Table, *keys: str) -> postgresql.Insert | sqlite.Insert:
    """``INSERT ... ON CONFLICT (keys) DO NOTHING`` into ``table``: its row count is 0 when a row with the same
    ``keys`` (a unique constraint's columns) is already recorded, and nothing is written then."""
    return dialect_insert(engine, table).on_conflict_do_nothing(index_elements=list(keys))


def insert_locked(engine: Engine, table: Table, key: str) -> ReturningInsert[Any]:
    """``INSERT ... ON CONFLICT (key) DO UPDATE SET key = key RETURNING *`` into ``table``: one statement
    that creates the row if missing and locks it until the transaction ends (a write: SQLite's write lock;
    on PostgreSQL the row lock an update takes), returning it as committed. What the transaction then
    reads from the row stays true until it writes."""
    create = dialect_insert(engine, table)
    return create.on_conflict_do_update(index_elements=[key], set_={key: create.excluded[key]}).returning(*table.c)

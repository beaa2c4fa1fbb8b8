"""The ``tick_health`` table: one row per live tick and account, written by an idempotent upsert (a rerun
of the same tick overwrites its row, so a retry that succeeds replaces the failure it retried)."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from huracan.data.db import open_engine
from huracan.data.schema import tick_health
from huracan.health.watch import Watch


class TickStatus(enum.StrEnum):
    """How a tick ended for an account."""

    OK = "ok"
    FAILED = "failed"
    STALE = "stale"
    NO_MODEL = "no_model"


@dataclass(frozen=True)
class TickHealth:
    """One row of ``tick_health``; see ``huracan.data.schema.tick_health`` for the columns' units."""

    account: str
    symbol: str
    timeframe: str
    decision_ms: int
    status: TickStatus
    duration_ms: int
    quality: str | None
    error: str | None
    model_name: str | None
    model_version: str | None
    watch: Watch
    recorded_ms: int

    def values(self) -> dict[str, Any]:
        """The row's column values."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "watch"}
        out["status"] = self.status.value
        out.update(asdict(self.watch))
        return out

    @classmethod
    def of_row(cls, row: Any) -> TickHealth:
        values = dict(row._mapping)
        watch = Watch(**{name: values.pop(name) for name in Watch.__dataclass_fields__})
        return cls(**{**values, "status": TickStatus(values["status"]), "watch": watch})

    def as_json(self) -> dict[str, Any]:
        return self.values()


_KEY = ("account", "symbol", "timeframe", "decision_ms")


def _series(account: str, symbol: str, timeframe: str) -> ColumnElement[bool]:
    return and_(tick_health.c.account == account, tick_health.c.symbol == symbol, tick_health.c.timeframe == timeframe)


class HealthStore:
    """Tick health rows in a migrated store (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert

    @classmethod
    def open(cls, url: str) -> HealthStore:
        """The store at SQLAlchemy ``url``, migrated to the latest schema."""
        return cls(open_engine(url))

    def record(self, health: TickHealth) -> None:
        """Insert the row of ``health``'s tick and account, or overwrite it."""
        values = health.values()
        statement = self._insert(tick_health).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=list(_KEY), set_={name: statement.excluded[name] for name in values if name not in _KEY}
        )
        with self.engine.begin() as connection:
            connection.execute(statement)

    def get(self, account: str, symbol: str, timeframe: str, decision_ms: int) -> TickHealth | None:
        """The row of that tick and account, or None."""
        query = select(tick_health).where(_series(account, symbol, timeframe), tick_health.c.decision_ms == decision_ms)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else TickHealth.of_row(row)

    def previous_ok(self, account: str, symbol: str, timeframe: str, before_ms: int) -> TickHealth | None:
        """The latest ``ok`` row of the account's series decided before ``before_ms`` (ms UTC), or None."""
        query = (
            select(tick_health)
            .where(
                _series(account, symbol, timeframe),
                tick_health.c.decision_ms < before_ms,
                tick_health.c.status == TickStatus.OK.value,
            )
            .order_by(tick_health.c.decision_ms.desc())
            .limit(1)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else TickHealth.of_row(row)

    def latest(self, symbol: str, timeframe: str) -> list[TickHealth]:
        """The rows of the latest recorded tick of ``symbol`` ``timeframe`` (one per account), or none."""
        newest = (
            select(tick_health.c.decision_ms)
            .where(and_(tick_health.c.symbol == symbol, tick_health.c.timeframe == timeframe))
            .order_by(tick_health.c.decision_ms.desc())
            .limit(1)
            .scalar_subquery()
        )
        query = (
            select(tick_health)
            .where(
                and_(
                    tick_health.c.symbol == symbol,
                    tick_health.c.timeframe == timeframe,
                    tick_health.c.decision_ms == newest,
                )
            )
            .order_by(tick_health.c.account)
        )
        with self.engine.connect() as connection:
            return [TickHealth.of_row(row) for row in connection.execute(query)]

"""The ``decisions`` table: one record per account, symbol, timeframe and decision time (ms UTC).

Recording is an insert that keeps the first record: a repeated tick or replay step gets back what was
decided the first time (the unique constraint ``uq_decisions_tick`` makes a race between two writers end
the same way).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, and_, bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from huracan.data.db import open_engine
from huracan.data.schema import decisions
from huracan.data.transactions import reading, transaction
from huracan.errors import StoreError


@dataclass(frozen=True)
class Decision:
    """One decision of a model at a candle close; see ``huracan.data.schema.decisions`` for the columns.

    :param equity_quote: the book's equity at the decision candle's close, after settling it, quote.
    """

    account: str
    symbol: str
    timeframe: str
    decision_ms: int
    role: str
    model_name: str | None
    model_version: str | None
    model_uri: str | None
    obs_sha256: str | None
    action: int | None
    level_before: int | None
    target_frac: float | None
    client_order_id: str | None
    verdict: str | None
    reasons: str
    note: str
    equity_quote: float | None
    created_ms: int

    def as_json(self) -> dict[str, Any]:
        """The record as a JSON-able dict."""
        return asdict(self)


_TICK = select(*(decisions.c[name] for name in Decision.__dataclass_fields__)).where(
    and_(
        decisions.c.account == bindparam("account"),
        decisions.c.symbol == bindparam("symbol"),
        decisions.c.timeframe == bindparam("timeframe"),
        decisions.c.decision_ms == bindparam("decision_ms"),
    )
)


class DecisionStore:
    """Decisions in the store.

    :param engine: an engine whose database is migrated.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect_insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        # a tick recorded before (a rerun, or a writer racing this one) keeps its record
        self._insert = dialect_insert(decisions).on_conflict_do_nothing(
            index_elements=["account", "symbol", "timeframe", "decision_ms"]
        )

    @classmethod
    def open(cls, url: str) -> DecisionStore:
        """The store at SQLAlchemy ``url``, migrated to the latest schema."""
        return cls(open_engine(url))

    def get(self, account: str, symbol: str, timeframe: str, decision_ms: int) -> Decision | None:
        """The decision recorded for that tick, or ``None``."""
        values = {"account": account, "symbol": symbol, "timeframe": timeframe, "decision_ms": decision_ms}
        with reading(self.engine) as connection:
            row = connection.execute(_TICK, values).first()
        return None if row is None else Decision(**row._mapping)

    def record(self, decision: Decision) -> Decision:
        """Insert ``decision`` unless one is recorded for its tick; returns the recorded one (inside a
        :func:`~huracan.data.transactions.unit_of_work` on this store's engine, in the unit's transaction)."""
        with transaction(self.engine) as connection:
            inserted = connection.execute(self._insert, decision.as_json()).rowcount
        if inserted:
            return decision
        recorded = self.get(decision.account, decision.symbol, decision.timeframe, decision.decision_ms)
        if recorded is None:  # the conflict's record is gone: never for a store nothing deletes from
            raise StoreError(
                f"decision {decision.account} {decision.symbol} {decision.timeframe} {decision.decision_ms}: not recorded"
            )
        return recorded

    def history(self, account: str, symbol: str, timeframe: str, start_ms: int | None = None) -> list[Decision]:
        """The decisions of an account's symbol and timeframe in time order (from ``start_ms``)."""
        query = (
            select(*(decisions.c[name] for name in Decision.__dataclass_fields__))
            .where(
                and_(decisions.c.account == account, decisions.c.symbol == symbol, decisions.c.timeframe == timeframe)
            )
            .order_by(decisions.c.decision_ms)
        )
        if start_ms is not None:
            query = query.where(decisions.c.decision_ms >= start_ms)
        with reading(self.engine) as connection:
            return [Decision(**row._mapping) for row in connection.execute(query)]

    def versions(self, model_name: str, symbol: str, timeframe: str) -> list[str]:
        """The versions of ``model_name`` that have decided on ``symbol`` ``timeframe``, on any account."""
        query = (
            select(decisions.c.model_version)
            .where(
                and_(
                    decisions.c.model_name == model_name,
                    decisions.c.symbol == symbol,
                    decisions.c.timeframe == timeframe,
                    decisions.c.model_version.is_not(None),
                )
            )
            .distinct()
        )
        with reading(self.engine) as connection:
            return sorted(str(row[0]) for row in connection.execute(query))

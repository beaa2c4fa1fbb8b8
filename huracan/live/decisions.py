"""The ``decisions`` table: one record per account, symbol, timeframe and decision time (ms UTC).

Recording is an insert that keeps the first record: a repeated tick or replay step gets back what was
decided the first time (the unique constraint ``uq_decisions_tick`` makes a race between two writers end
the same way).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, and_, insert, select
from sqlalchemy.exc import IntegrityError

from huracan.data.db import open_engine
from huracan.data.schema import decisions


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


class DecisionStore:
    """Decisions in the store.

    :param engine: an engine whose database is migrated.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> DecisionStore:
        """The store at SQLAlchemy ``url``, migrated to the latest schema."""
        return cls(open_engine(url))

    def get(self, account: str, symbol: str, timeframe: str, decision_ms: int) -> Decision | None:
        """The decision recorded for that tick, or ``None``."""
        query = select(*(decisions.c[name] for name in Decision.__dataclass_fields__)).where(
            and_(
                decisions.c.account == account,
                decisions.c.symbol == symbol,
                decisions.c.timeframe == timeframe,
                decisions.c.decision_ms == decision_ms,
            )
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else Decision(**row._mapping)

    def record(self, decision: Decision) -> Decision:
        """Insert ``decision`` unless one is recorded for its tick; returns the recorded one."""
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(decisions).values(**decision.as_json()))
        except IntegrityError:
            recorded = self.get(decision.account, decision.symbol, decision.timeframe, decision.decision_ms)
            if recorded is None:
                raise
            return recorded
        return decision

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
        with self.engine.connect() as connection:
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
        with self.engine.connect() as connection:
            return sorted(str(row[0]) for row in connection.execute(query))

"""The ``decisions`` table: one record per account, symbol, timeframe and decision time (ms UTC).

Recording is an insert that keeps the first record: a repeated tick or replay step gets back what was
decided the first time (the unique constraint ``uq_decisions_tick`` makes a race between two writers end
the same way).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Engine, and_, bindparam, select

from huracan.data.db import open_engine
from huracan.data.schema import decisions
from huracan.data.transactions import current_unit, insert_once, reading, transaction
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
        """The record as a JSON-able dict (every field is a scalar)."""
        return {name: getattr(self, name) for name in _FIELDS}


_FIELDS = tuple(f.name for f in fields(Decision))

_FROM = select(*(decisions.c[name] for name in _FIELDS)).where(
    and_(
        decisions.c.account == bindparam("account"),
        decisions.c.symbol == bindparam("symbol"),
        decisions.c.timeframe == bindparam("timeframe"),
    )
)
_TICK = _FROM.where(decisions.c.decision_ms == bindparam("decision_ms"))
_SINCE = _FROM.where(decisions.c.decision_ms >= bindparam("decision_ms"))


class DecisionStore:
    """Decisions in the store.

    :param engine: an engine whose database is migrated.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # a tick recorded before (a rerun, or a writer racing this one) keeps its record
        self._insert = insert_once(engine, decisions, "account", "symbol", "timeframe", "decision_ms")

    @classmethod
    def open(cls, url: str) -> DecisionStore:
        """The store at SQLAlchemy ``url``, migrated to the latest schema."""
        return cls(open_engine(url))

    def get(self, account: str, symbol: str, timeframe: str, decision_ms: int) -> Decision | None:
        """The decision recorded for that tick, or ``None``.

        Inside a :func:`~huracan.data.transactions.unit_of_work` on this store's engine, the first call for
        a series reads its decisions from ``decision_ms`` on into the unit's cache, and later calls for that
        series at or after it (a replay's ticks, in time order) are answered from there."""
        values = {"account": account, "symbol": symbol, "timeframe": timeframe, "decision_ms": decision_ms}
        unit = current_unit(self.engine)
        if unit is None:
            with self.engine.connect() as connection:
                row = connection.execute(_TICK, values).first()
            return None if row is None else Decision(**row._mapping)
        key = ("decisions", account, symbol, timeframe)
        if key not in unit.cache or decision_ms < unit.cache[key][0]:
            rows = unit.connection.execute(_SINCE, values)
            unit.cache[key] = (decision_ms, {row.decision_ms: Decision(**row._mapping) for row in rows})
        return unit.cache[key][1].get(decision_ms)

    def record(self, decision: Decision) -> Decision:
        """Insert ``decision`` unless one is recorded for its tick; returns the recorded one (inside a
        :func:`~huracan.data.transactions.unit_of_work` on this store's engine, in the unit's transaction)."""
        with transaction(self.engine) as connection:
            inserted = connection.execute(self._insert, decision.as_json()).rowcount
        unit = current_unit(self.engine)
        key = ("decisions", decision.account, decision.symbol, decision.timeframe)
        cached = None if unit is None else unit.cache.pop(key, None)
        if inserted:
            if cached is not None and decision.decision_ms >= cached[0]:
                cached[1][decision.decision_ms] = decision
                unit.cache[key] = cached  # type: ignore[union-attr]
            return decision
        # another writer recorded the tick first: read it (again)
        recorded = self.get(decision.account, decision.symbol, decision.timeframe, decision.decision_ms)
        if recorded is None:  # the conflict's record is gone: never for a store nothing deletes from
            raise StoreError(
                f"decision {decision.account} {decision.symbol} {decision.timeframe} at {decision.decision_ms}: lost"
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

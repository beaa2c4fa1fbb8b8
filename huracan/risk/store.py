"""The risk manager's tables in the store: ``risk_state``, ``risk_decisions`` and ``risk_events``.

:meth:`RiskStore.locked` opens one transaction per check: its first statement creates the account's state
row if missing and locks it (an ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``: the row lock of an
update on PostgreSQL, the database's write lock on SQLite), so two checks on one account never
interleave, and the state change, the decision and the events of a check are written together or not at
all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Insert, RowMapping, bindparam, insert, select, update

from huracan.data.db import open_engine
from huracan.data.schema import risk_decisions, risk_events, risk_state
from huracan.data.transactions import Unit, current_unit, insert_locked, insert_once, reading, transaction
from huracan.risk.decision import RiskDecision, Verdict
from huracan.risk.intent import OrderIntent
from huracan.risk.reasons import Reason, ReasonCode
from huracan.risk.state import RiskState, StateChange, TradingState

_STATE_FIELDS = (
    "trading_state",
    "reason_code",
    "reason",
    "since_ms",
    "high_water_quote",
    "day_start_ms",
    "day_start_equity_quote",
    "last_equity_quote",
    "updated_ms",
)

# statements built once, executed with a dict of values (building one per call costs more than the database)
_DECISION_BY_KEY = select(risk_decisions).where(risk_decisions.c.intent_key == bindparam("key"))
_UPDATE_STATE = update(risk_state).where(risk_state.c.account == bindparam("b_account"))


def _state_values(state: RiskState) -> dict[str, Any]:
    values = {name: getattr(state, name) for name in _STATE_FIELDS}
    values["trading_state"] = state.trading_state.value
    values["reason_code"] = state.reason_code.value
    return values


def _state(row: RowMapping) -> RiskState:
    return RiskState(
        account=row["account"],
        trading_state=TradingState(row["trading_state"]),
        reason_code=ReasonCode(row["reason_code"]),
        reason=row["reason"],
        since_ms=row["since_ms"],
        high_water_quote=row["high_water_quote"],
        day_start_ms=row["day_start_ms"],
        day_start_equity_quote=row["day_start_equity_quote"],
        last_equity_quote=row["last_equity_quote"],
        updated_ms=row["updated_ms"],
    )


def _decision(row: RowMapping) -> RiskDecision:
    intent = OrderIntent(
        account=row["account"],
        symbol=row["symbol"],
        side=row["side"],
        qty_base=row["qty_base"],
        price_quote=row["price_quote"],
        decision_ms=row["decision_ms"],
        data_close_ms=row["data_close_ms"],
        source=row["source"],
        reduce_only=bool(row["reduce_only"]),
    )
    return RiskDecision(
        intent=intent,
        verdict=Verdict(row["verdict"]),
        approved_qty_base=row["approved_qty_base"],
        reasons=tuple(Reason.from_dict(item) for item in json.loads(row["reasons"])),
        state_after=TradingState(row["state_after"]),
        flatten=bool(row["flatten"]),
        checked_ms=row["checked_ms"],
        equity_quote=row["equity_quote"],
    )


def _event(row: RowMapping) -> StateChange:
    return StateChange(
        account=row["account"],
        at_ms=row["at_ms"],
        from_state=TradingState(row["from_state"]),
        to_state=TradingState(row["to_state"]),
        code=ReasonCode(row["code"]),
        message=row["message"],
        actor=row["actor"],
        equity_quote=row["equity_quote"],
        high_water_quote=row["high_water_quote"],
    )


@dataclass
class LockedAccount:
    """One account inside :meth:`RiskStore.locked`: its ``state`` as loaded, and the writes of the transaction."""

    connection: Connection
    state: RiskState
    decision_insert: Insert
    """``INSERT ... ON CONFLICT (intent_key) DO NOTHING`` into ``risk_decisions``, in the store's dialect."""
    unit: Unit | None = None
    """The unit of work the transaction belongs to, which keeps the state (see :meth:`RiskStore.locked`)."""

    def decision(self, intent_key: str) -> RiskDecision | None:
        """The recorded decision of ``intent_key``, or None."""
        row = self.connection.execute(_DECISION_BY_KEY, {"key": intent_key}).mappings().first()
        return _decision(row) if row is not None else None

    def save_state(self, state: RiskState) -> None:
        """Write ``state`` if it differs from the loaded one (in a unit of work: at the unit's end)."""
        if state != self.state:
            values = {"b_account": state.account, **_state_values(state)}
            if self.unit is None:
                self.connection.execute(_UPDATE_STATE, values)
            else:
                self.unit.defer(("risk.state", state.account), _UPDATE_STATE, values)
            self.state = state

    def record_decision(self, decision: RiskDecision) -> bool:
        """Record ``decision``; False (and nothing written) when a decision of its intent key is recorded."""
        values = {**decision.to_dict(), "reasons": json.dumps([reason.to_dict() for reason in decision.reasons])}
        return bool(self.connection.execute(self.decision_insert, values).rowcount)

    def record_event(self, change: StateChange) -> None:
        self.connection.execute(
            insert(risk_events),
            {
                "account": change.account,
                "at_ms": change.at_ms,
                "from_state": change.from_state.value,
                "to_state": change.to_state.value,
                "code": change.code.value,
                "message": change.message,
                "actor": change.actor,
                "equity_quote": change.equity_quote,
                "high_water_quote": change.high_water_quote,
            },
        )


class RiskStore:
    """The risk tables of a migrated store (SQLite or PostgreSQL).

    :param engine: an engine whose database is migrated (see :func:`huracan.data.db.open_engine`).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._record_decision = insert_once(engine, risk_decisions, "intent_key")
        self._lock_state = insert_locked(engine, risk_state, "account")

    @classmethod
    def open(cls, url: str) -> RiskStore:
        """The store at SQLAlchemy ``url``, migrated to the latest schema."""
        return cls(open_engine(url))

    @contextmanager
    def locked(self, account: str) -> Iterator[LockedAccount]:
        """One transaction holding ``account``'s state row locked; committed when the block ends normally.

        Inside a :func:`~huracan.data.transactions.unit_of_work` on this store's engine it is the unit's
        transaction, which keeps the lock until the unit ends: a second block on the same account in the
        unit starts from the state the first left (kept in the unit's cache) without locking it again."""
        with transaction(self.engine) as connection:
            unit = current_unit(self.engine)
            if unit is not None and unit.connection is not connection:
                unit = None
            cache = None if unit is None else unit.cache
            key = ("risk.state", account)
            if cache is not None and key in cache:
                state = cache.pop(key)  # put back only when the block ends normally
            else:
                if unit is not None:
                    unit.flush()  # a state written in the unit is read back as written
                values = {"account": account, **_state_values(RiskState(account))}
                state = _state(connection.execute(self._lock_state, values).mappings().one())
            locked = LockedAccount(connection, state, self._record_decision, unit)
            yield locked
            if cache is not None:
                cache[key] = locked.state

    def state(self, account: str) -> RiskState | None:
        """The recorded state of ``account``, or None if it was never checked or observed."""
        unit = current_unit(self.engine)
        if unit is not None and ("risk.state", account) in unit.cache:
            return unit.cache["risk.state", account]
        with reading(self.engine) as connection:
            row = connection.execute(select(risk_state).where(risk_state.c.account == account)).mappings().first()
        return _state(row) if row is not None else None

    def accounts(self) -> list[str]:
        """Every account with a recorded state, sorted."""
        with reading(self.engine) as connection:
            return list(connection.execute(select(risk_state.c.account).order_by(risk_state.c.account)).scalars())

    def decisions(self, account: str, limit: int = 100) -> list[RiskDecision]:
        """The latest ``limit`` decisions of ``account``, newest first."""
        query = (
            select(risk_decisions)
            .where(risk_decisions.c.account == account)
            .order_by(risk_decisions.c.checked_ms.desc(), risk_decisions.c.id.desc())
            .limit(limit)
        )
        with reading(self.engine) as connection:
            return [_decision(row) for row in connection.execute(query).mappings()]

    def events(self, account: str, limit: int = 100) -> list[StateChange]:
        """The latest ``limit`` trading-state changes of ``account``, newest first."""
        query = (
            select(risk_events)
            .where(risk_events.c.account == account)
            .order_by(risk_events.c.at_ms.desc(), risk_events.c.id.desc())
            .limit(limit)
        )
        with reading(self.engine) as connection:
            return [_event(row) for row in connection.execute(query).mappings()]

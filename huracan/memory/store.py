"""The trade memory table: idempotent upsert of round trips (unique on account, symbol, entry time) and reads."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from sqlalchemy import Engine, select

from huracan.data.db import open_engine
from huracan.data.schema import trade_memory
from huracan.memory.round_trips import RoundTrip

_KEY = ("account", "symbol", "entry_ms")


def obs_bytes(obs: np.ndarray | None) -> bytes | None:
    """An observation as little-endian float32 bytes (None stays None)."""
    return None if obs is None else np.asarray(obs, dtype="<f4").tobytes()


def obs_array(raw: bytes | None) -> np.ndarray | None:
    """The float32 observation stored by :func:`obs_bytes`."""
    return None if raw is None else np.frombuffer(raw, dtype="<f4").copy()


class TradeMemory:
    """Round trips in the store; ``record`` may be repeated: a round trip is stored once per entry."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> TradeMemory:
        """The trade memory of the store at ``url`` (migrated to head)."""
        return cls(open_engine(url))

    def record(self, trips: Sequence[RoundTrip]) -> int:
        """Insert or update each round trip by (account, symbol, entry_ms); returns how many were given."""
        now_ms = int(time.time() * 1000)
        with self.engine.begin() as connection:
            for trip in trips:
                values = {k: v for k, v in trip.__dict__.items() if k != "entry_obs"}
                values["entry_obs"] = obs_bytes(trip.entry_obs)
                values["created_ms"] = now_ms
                where = [trade_memory.c[k] == values[k] for k in _KEY]
                found = connection.execute(select(trade_memory.c.id).where(*where)).first()
                if found is None:
                    connection.execute(trade_memory.insert().values(**values))
                else:
                    connection.execute(trade_memory.update().where(trade_memory.c.id == found.id).values(**values))
        return len(trips)

    def trips(self, symbol: str, timeframe: str | None = None, source: str | None = None) -> list[RoundTrip]:
        """Stored round trips of ``symbol`` in entry order (filtered by timeframe and source)."""
        query = select(trade_memory).where(trade_memory.c.symbol == symbol)
        if timeframe is not None:
            query = query.where(trade_memory.c.timeframe == timeframe)
        if source is not None:
            query = query.where(trade_memory.c.source == source)
        query = query.order_by(trade_memory.c.entry_ms, trade_memory.c.account)
        fields = set(RoundTrip.__dataclass_fields__)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [
            RoundTrip(
                **{k: v for k, v in row.items() if k in fields and k != "entry_obs"},
                entry_obs=obs_array(row["entry_obs"]),
            )
            for row in rows
        ]

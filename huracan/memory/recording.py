"""Recording round trips from the execution store's fills: excursions from the stored candles, the entry
observation rebuilt by the one builder from the candles closed at entry (flat position), and the model
from the decision whose order opened the trip."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from huracan.data.candle_store import CandleStore
from huracan.data.schema import decisions, fills
from huracan.execution.store import ExecutionStore
from huracan.features.candles import open_times_ms
from huracan.features.catalog import LOOKBACK_ROWS
from huracan.features.market import build_market_features
from huracan.features.observation import observation
from huracan.memory.round_trips import RoundTrip, round_trips
from huracan.memory.store import TradeMemory
from huracan.series import SeriesKey
from huracan.timeframes import Timeframe


def _entry_obs(candle_store: CandleStore, key: SeriesKey, entry_ms: int) -> np.ndarray | None:
    """The observation of the last candle closed at or before ``entry_ms`` (ms UTC), flat; None when the
    store holds too few candles before it."""
    tf_ms = Timeframe.parse(key.timeframe).ms
    frame = candle_store.read(key, entry_ms - (LOOKBACK_ROWS + 1) * tf_ms, entry_ms - tf_ms)
    if len(frame) < LOOKBACK_ROWS:
        return None
    market = build_market_features(frame, key.timeframe)
    return observation(market[-1], 0)


def source_of(account: str) -> str:
    """The trade memory's source of an execution account: ``live`` (the exchange account,
    :data:`huracan.execution.exchange.LIVE_ACCOUNT`, not imported here: it pulls in ccxt), ``shadow`` (a
    challenger's ``shadow:<model>/<version>``, :data:`huracan.live.shadow.SHADOW_PREFIX`), else ``paper``
    (the champion's ``paper`` account and the paper-run's ``replay:...`` ones)."""
    if account == "live":
        return "live"
    return "shadow" if account.startswith("shadow:") else "paper"


def record_from_fills(
    store_url: str, key: SeriesKey, source: str | None, account: str | None = None
) -> list[RoundTrip]:
    """Derive the closed round trips of ``key.symbol`` (every account with fills, or ``account``) and
    store them in the trade memory (idempotent); returns them.

    :param source: the source to record them under; None: each account's own (:func:`source_of`).
    """
    execution = ExecutionStore.open(store_url)
    candle_store = CandleStore.open(store_url)
    with execution.transaction() as connection:
        accounts = (
            [account]
            if account
            else sorted(set(connection.execute(select(fills.c.account).where(fills.c.symbol == key.symbol)).scalars()))
        )
        per_account = {a: execution.fills(connection, a, key.symbol) for a in accounts}
        models = {
            row.client_order_id: (row.model_name, row.model_version)
            for row in connection.execute(
                select(decisions.c.client_order_id, decisions.c.model_name, decisions.c.model_version).where(
                    decisions.c.symbol == key.symbol, decisions.c.client_order_id.is_not(None)
                )
            )
        }
    candles = candle_store.read(key)
    ts = open_times_ms(candles)
    arrays = (ts, candles["low"].to_numpy(), candles["high"].to_numpy())
    trips: list[RoundTrip] = []
    for name, account_fills in per_account.items():
        opening = {f.ts_ms: f.client_order_id for f in reversed(account_fills)}  # the first fill at a time
        kind = source_of(name) if source is None else source
        for trip in round_trips(account_fills, timeframe=key.timeframe, source=kind, candles=arrays):
            model_name, model_version = models.get(opening[trip.entry_ms], (None, None))
            trips.append(
                RoundTrip(
                    **{
                        **trip.__dict__,
                        "model_name": model_name,
                        "model_version": model_version,
                        "entry_obs": _entry_obs(candle_store, key, trip.entry_ms),
                    }
                )
            )
    TradeMemory.open(store_url).record(trips)
    return trips

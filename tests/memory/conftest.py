"""Stored candles and fills for the trade memory's tests."""

from __future__ import annotations

import numpy as np

from huracan.data.candle_store import CandleStore
from huracan.execution.orders import Fill
from huracan.execution.store import ExecutionStore
from huracan.features.candles import open_times_ms
from huracan.features.synthetic import random_walk_candles
from huracan.risk.intent import Side
from huracan.series import SeriesKey

HOUR = 3_600_000
#: (entry offset from the 300th candle in hours, buy price, sell price two hours later), 1 base each,
#: fee 0.1 quote per fill: profits -10.2, +9.8, -5.2 quote.
LEGS = ((0, 100.0, 90.0), (5, 100.0, 110.0), (10, 100.0, 95.0))


def store_candles_and_fills(store_url: str, accounts: tuple[str, ...] = ("paper",)) -> int:
    """400 1h BTC/USDT candles in the store and, for each account, the three round trips of :data:`LEGS`;
    returns the first entry time (ms UTC)."""
    frame = random_walk_candles(400)
    ts = open_times_ms(frame)
    rows = np.column_stack([ts, frame[["open", "high", "low", "close", "volume"]].to_numpy()])
    CandleStore.open(store_url).upsert(SeriesKey("binance", "BTC/USDT", "1h"), rows)
    execution = ExecutionStore.open(store_url)
    t0 = int(ts[300])
    with execution.transaction() as connection:
        for account in accounts:
            for n, (hours, buy, sell) in enumerate(LEGS):
                entry_ms = t0 + hours * HOUR
                for side, price, at in (("buy", buy, entry_ms), ("sell", sell, entry_ms + 2 * HOUR)):
                    ids = f"{account}-{n}{side}"
                    fill = Fill(ids, ids, account, "BTC/USDT", Side(side), 1.0, price, price, 0.1, 0.1, False, at)
                    execution.record_fill(connection, fill)
    return t0

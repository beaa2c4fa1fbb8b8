"""The latest closed candle of a symbol, synced from the exchange first: what a manual order is priced at.

The sync is the one the training DAG runs (:class:`huracan.data.sync.CandleSync`), over the last few
candles only, and "now" is the exchange's clock, so the emulator's simulated time is honoured offline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from huracan.data.candle_store import CandleStore, SeriesKey
from huracan.data.sync import CandleSync
from huracan.errors import NoDataError
from huracan.execution.paper import Bar
from huracan.market.client import MarketClient

if TYPE_CHECKING:
    from huracan.config import Settings
    from huracan.timeframes import Timeframe

RECENT_CANDLES = 5
"""How many recent candles a manual order syncs before reading the last one."""


class Latest(NamedTuple):
    """The last closed candle (``bar``), its close time and the exchange's clock, both ms UTC."""

    bar: Bar
    close_ms: int
    now_ms: int


def latest_closed(settings: Settings, symbol: str, timeframe: Timeframe) -> Latest:
    """Sync the last :data:`RECENT_CANDLES` candles of ``symbol`` and return the newest closed one;
    :class:`NoDataError` when the store still holds none."""
    client = MarketClient.from_settings(settings)
    store = CandleStore.open(settings.store_url)
    syncer = CandleSync(client, store)
    now_ms = syncer.now_ms
    syncer.sync(symbol, timeframe, since_ms=now_ms - RECENT_CANDLES * timeframe.ms)
    key = SeriesKey(client.exchange_id, symbol, timeframe.name)
    frame = store.read(key, now_ms - RECENT_CANDLES * timeframe.ms, timeframe.last_closed_open_ms(now_ms))
    if frame.empty:
        raise NoDataError(f"{key}: the exchange returned no closed candle in the last {RECENT_CANDLES} {timeframe}")
    bar = Bar.of_frame(frame, -1)
    return Latest(bar, bar.open_ms + timeframe.ms, now_ms)

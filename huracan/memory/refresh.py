"""The daily refresh of the trade memory from the live side: every symbol with fills in the store, every
account's closed round trips recorded under its own source (paper, shadow, live), and the win/loss
analysis of each source logged. What the ``huracan_trade_memory`` DAG runs once a day; idempotent."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import distinct, select

from huracan.data.schema import fills
from huracan.execution.store import ExecutionStore
from huracan.memory.analysis import analyze
from huracan.memory.recording import record_from_fills
from huracan.memory.store import TradeMemory
from huracan.series import SeriesKey
from huracan.timeframes import Timeframe

if TYPE_CHECKING:
    from huracan.config import Settings

log = logging.getLogger(__name__)


def refresh_trade_memory(settings: Settings, timeframe: str) -> dict[str, Any]:
    """Record the round trips of every traded symbol (candles of ``timeframe`` for excursions and entry
    observations) and log each source's analysis.

    :returns: ``{symbol: {"recorded": n, "by_source": {source: overall numbers}}}`` (JSON-able; the full
        analysis is in the log and from ``huracan trades analyze``).
    """
    tf = Timeframe.parse(timeframe).name
    with ExecutionStore.open(settings.store_url).transaction() as connection:
        symbols = sorted(connection.execute(select(distinct(fills.c.symbol))).scalars())
    memory = TradeMemory.open(settings.store_url)
    report: dict[str, Any] = {}
    for symbol in symbols:
        recorded = record_from_fills(settings.store_url, SeriesKey(settings.exchange, symbol, tf), source=None)
        by_source: dict[str, Any] = {}
        for source in sorted({t.source for t in recorded}):
            analysis = analyze(memory.trips(symbol, tf, source))
            by_source[source] = analysis["overall"]
            log.info("trade memory %s %s %s: %s", symbol, tf, source, json.dumps(analysis))
        report[symbol] = {"recorded": len(recorded), "by_source": by_source}
    if not symbols:
        log.info("trade memory: no fills in the store yet, nothing to record")
    return report

"""Incremental candle sync: fetch what the store lacks, page by page, and store only closed candles.

For one series and a requested range ``[since, until]`` (open times, ms UTC, both included) the sync:

1. takes "now" from the exchange's clock (never the local one), so the last *closed* candle is the
   one whose close time is at or before the exchange's now; the still-forming candle is never stored;
2. back-fills before the first stored candle when ``since`` is earlier;
3. re-fetches every hole between stored candles inside the range;
4. resumes forward after the last stored candle. This step always sends one request even when no
   new candle can have closed yet, so a rerun with nothing new costs exactly one request.

Every page is upserted in its own transaction as it arrives, so an interrupted sync keeps what it
stored and the next run resumes after it. Holes the exchange cannot fill are reported, never filled.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from huracan.clock import format_ms
from huracan.config import Settings
from huracan.data.candle_store import CandleStore, Gap, SeriesBounds, SeriesKey
from huracan.errors import ConfigError, ExchangeRequestError, HuracanError
from huracan.market.client import MAX_PAGE, MarketClient
from huracan.timeframes import Timeframe

log = logging.getLogger(__name__)

#: Candles stored per transaction during a sync (pages are buffered up to this many).
BATCH_ROWS = 5_000

#: Called after each page with (candles stored so far this sync, candles expected in total).
ProgressCallback = Callable[[int, int], None]


@dataclass
class SyncSummary:
    """What one series' sync did and left.

    :param key: the series.
    :param fetched: closed candles received and stored by this sync (re-fetched ones included).
    :param requests: candle requests sent, retries included.
    :param bounds: the stored series after the sync (None if nothing is stored).
    :param holes: holes still inside the requested range after the sync (the exchange lacks them).
    :param seconds: wall time of the sync.
    :param wait_s: part of ``seconds`` spent waiting on the exchange (HTTP and rate limiter).
    :param error: why the sync failed, None when it succeeded.
    """

    key: SeriesKey
    fetched: int = 0
    requests: int = 0
    bounds: SeriesBounds | None = None
    holes: list[Gap] = field(default_factory=list)
    seconds: float = 0.0
    wait_s: float = 0.0
    error: str | None = None

    @property
    def own_s(self) -> float:
        """Seconds spent in Huracan itself (parsing, checking, storing), the exchange's time excluded."""
        return max(self.seconds - self.wait_s, 0.0)


def _as_array(page: Sequence[Sequence[object]], key: SeriesKey) -> np.ndarray:
    """The page as an ``(n, 6)`` float array; raise naming the series if a candle is not six numbers.

    Nothing is dropped or repaired here: a malformed candle fails the sync.
    """
    try:
        rows = np.array(page, dtype=np.float64).reshape(len(page), 6)
    except (TypeError, ValueError) as exc:
        bad = next((row for row in page if len(row) != 6 or any(v is None for v in row)), None)
        raise ExchangeRequestError(f"{key}: the exchange sent a malformed candle {bad!r}: {exc}") from exc
    return rows


class CandleSync:
    """Brings stored series up to date from one exchange.

    :param client: market-data access (ccxt, with retries).
    :param store: where candles go.
    :param now_ms: the exchange's time (ms UTC) the sync treats as now; None asks the exchange once.
    """

    def __init__(self, client: MarketClient, store: CandleStore, now_ms: int | None = None) -> None:
        self.client = client
        self.store = store
        self._now_ms = now_ms

    @property
    def now_ms(self) -> int:
        if self._now_ms is None:
            self._now_ms = self.client.server_time_ms()
        return self._now_ms

    def sync(
        self,
        symbol: str,
        timeframe: Timeframe,
        since_ms: int | None = None,
        until_ms: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> SyncSummary:
        """Fetch and store the missing closed candles of ``symbol`` in ``[since_ms, until_ms]``.

        ``since_ms`` None means from the stored start (or, for a new series, the exchange's first
        candle); ``until_ms`` None means up to the last closed candle.
        """
        started = time.perf_counter()
        wait_before = self.client.stats.wait_s
        requests_before = self.client.stats.candle_requests
        key = SeriesKey(self.client.exchange_id, symbol, timeframe.name)
        if since_ms is not None and until_ms is not None and since_ms > until_ms:
            raise ConfigError(f"{key}: since {format_ms(since_ms)} is after until {format_ms(until_ms)}")
        self.client.check_series(symbol, timeframe)

        end_ms = timeframe.last_closed_open_ms(self.now_ms)
        if until_ms is not None:
            end_ms = min(end_ms, timeframe.floor(until_ms))
        start_ms = timeframe.ceil(since_ms) if since_ms is not None else None
        summary = SyncSummary(key)
        up_to_now = end_ms == timeframe.last_closed_open_ms(self.now_ms)
        ranges = self._ranges(key, timeframe, start_ms, end_ms, up_to_now)
        expected = sum(max((hi - lo) // timeframe.ms + 1, 0) for lo, hi in ranges)
        for lo, hi in ranges:
            summary.fetched += self._fetch_range(key, timeframe, lo, hi, summary.fetched, expected, progress)

        summary.bounds = self.store.bounds(key)
        if summary.bounds is not None:
            summary.holes = self.store.gaps(key, timeframe.ms, start_ms, end_ms)
        summary.requests = self.client.stats.candle_requests - requests_before
        summary.wait_s = self.client.stats.wait_s - wait_before
        summary.seconds = time.perf_counter() - started
        return summary

    def _ranges(
        self, key: SeriesKey, timeframe: Timeframe, start_ms: int | None, end_ms: int, up_to_now: bool
    ) -> list[tuple[int, int]]:
        """The open-time ranges (inclusive) to fetch, oldest first; the last one is the forward range.

        When the range reaches the exchange's present (``up_to_now``) the forward range is kept even if
        empty: the one probe request of a rerun with nothing new. A range ending in the past needs none.
        """
        bounds = self.store.bounds(key)
        if bounds is None:
            ranges, forward_ms = [], start_ms if start_ms is not None else 0
        else:
            ranges = [(gap.first_ms, gap.last_ms) for gap in self.store.gaps(key, timeframe.ms, start_ms, end_ms)]
            if start_ms is not None and start_ms < bounds.first_ms:
                ranges.insert(0, (start_ms, min(bounds.first_ms - timeframe.ms, end_ms)))
            forward_ms = max(bounds.last_ms + timeframe.ms, start_ms or 0)
        ranges = [(lo, hi) for lo, hi in ranges if lo <= hi]
        if forward_ms <= end_ms or up_to_now:
            ranges.append((forward_ms, end_ms))  # when empty: the one probe request of a rerun
        return ranges

    def _fetch_range(
        self,
        key: SeriesKey,
        timeframe: Timeframe,
        lo_ms: int,
        hi_ms: int,
        done: int,
        expected: int,
        progress: ProgressCallback | None,
    ) -> int:
        """Fetch and store closed candles with open time in ``[lo_ms, hi_ms]``; return how many.

        Pages are stored in batches of about :data:`BATCH_ROWS` candles, one transaction each, so an
        interrupted sync loses at most one batch and the next run resumes after the last stored one.
        """
        received = 0
        pending: list[np.ndarray] = []
        cursor = lo_ms
        # An empty range (nothing new has closed) still sends one request, reaching up to the exchange's
        # now: it confirms the series is current and returns at most the forming candle, dropped below.
        request_until = hi_ms if hi_ms >= lo_ms else self.now_ms
        while True:
            page = self.client.fetch_candles(
                symbol=key.symbol, timeframe=key.timeframe, since_ms=cursor, until_ms=request_until, limit=MAX_PAGE
            )
            rows = _as_array(page, key)
            rows = rows[(rows[:, 0] >= lo_ms) & (rows[:, 0] <= hi_ms)]
            pending.append(rows)
            received += len(rows)
            # A short page is not the end: a page can lack candles (maintenance, a faulty answer). Only an
            # empty page or reaching the range's end is; normally the last page ends exactly at hi_ms.
            last_page = not page or page[-1][0] >= hi_ms
            if last_page or sum(len(p) for p in pending) >= BATCH_ROWS:
                self.store.upsert(key, np.concatenate(pending))
                pending.clear()
            if progress is not None:
                progress(done + received, expected)
            if last_page:
                return received
            next_cursor = int(page[-1][0]) + timeframe.ms
            if next_cursor <= cursor:
                raise ExchangeRequestError(f"{key}: the exchange returned candles before {cursor} ms; cannot page")
            cursor = next_cursor


def minimum_requests(candles: int) -> int:
    """Fewest candle requests that can deliver ``candles`` candles (pages of :data:`MAX_PAGE`)."""
    return max(math.ceil(candles / MAX_PAGE), 1)


def download(
    settings: Settings,
    symbols: Sequence[str],
    timeframe: Timeframe,
    since_ms: int | None = None,
    until_ms: int | None = None,
    progress_for: Callable[[str], ProgressCallback | None] | None = None,
) -> list[SyncSummary]:
    """Sync each symbol's ``timeframe`` series from the configured exchange into the configured store.

    All series are judged against one exchange "now", taken at the market load. A series that fails
    (unknown symbol, exchange unavailable after retries) gets ``error`` set and the others carry on.
    """
    client = MarketClient.from_settings(settings)
    store = CandleStore.open(settings.store_url)
    syncer = CandleSync(client, store)
    summaries = []
    for symbol in symbols:
        try:
            progress = progress_for(symbol) if progress_for is not None else None
            summaries.append(syncer.sync(symbol, timeframe, since_ms, until_ms, progress))
        except HuracanError as exc:
            log.error("%s %s: %s", symbol, timeframe, exc)
            summaries.append(SyncSummary(SeriesKey(client.exchange_id, symbol, timeframe.name), error=str(exc)))
    return summaries

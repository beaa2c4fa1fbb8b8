"""Incremental candle sync: fetch what the store lacks, page by page, check every candle, store only closed ones.

For one series and a requested range ``[since, until]`` (open times, ms UTC, both included) the sync:

1. takes "now" from the exchange's clock (never the local one), so the last *closed* candle is the
   one whose close time is at or before the exchange's now. The still-forming candle is never stored,
   and neither is the newest candle the exchange serves: when the exchange's klines show no candle
   after the last one its clock calls closed (its clock runs ahead of its candles), that candle is
   held back until a later run sees its successor;
2. back-fills before the first stored candle when ``since`` is earlier;
3. re-fetches every hole between stored candles inside the range;
4. resumes forward after the last stored candle. This step always sends one request even when no
   new candle can have closed yet, so a rerun with nothing new costs exactly one request.

Every candle is checked before it is stored (:mod:`huracan.data.candle_checks`: finite, positive,
``high``/``low`` containing ``open``/``close``, on the grid, consistent close time, no conflicting
copies). A page that comes back with a bad or conflicting candle, with rows outside what was asked, or
with fewer candles than the exchange should have (empty, short, a hole) is requested once more; what
the second answer still lacks is taken as the exchange's word (maintenance windows are real), and a
candle still bad is refused and reported, never stored.

Each page is committed as it arrives, on a writer thread while the next page is requested (at most one
write in flight; an error waits for it), so an interrupted sync keeps every candle it received (a
``kill -9`` can lose only the page being written) and the next run resumes after it. The summary reports every candle missing in the requested range: holes
(left to the quality gate) and a **truncated tail** (the range's last candles missing, the exchange
sending nothing more), which fails the sync.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from huracan.clock import format_ms
from huracan.config import Settings
from huracan.data.candle_checks import Refusal, checked
from huracan.data.candle_store import CandleStore, Gap, SeriesBounds, SeriesKey
from huracan.errors import ConfigError, ExchangeRequestError, HuracanError, TruncatedDownloadError
from huracan.market.client import MAX_PAGE, MarketClient
from huracan.series import normalize_symbol
from huracan.timeframes import Timeframe

log = logging.getLogger(__name__)

#: Times a page that looks incomplete or bad is requested again before its answer is taken as final.
REFETCHES = 1

#: Called after each page with (candles stored so far this sync, candles expected in total).
ProgressCallback = Callable[[int, int], None]


@dataclass
class SyncSummary:
    """What one series' sync did and left.

    :param key: the series.
    :param fetched: distinct closed candles received, checked and stored by this sync (re-fetched ones
        included, duplicates in an answer counted once).
    :param requests: candle requests sent, retries and re-requests included.
    :param bounds: the stored series after the sync (None if nothing is stored).
    :param start_ms: first open time of the requested range, ms UTC (None: nothing stored or asked).
    :param end_ms: last open time of the requested range the exchange has closed, ms UTC.
    :param holes: every run of candles still missing in ``[start_ms, end_ms]``, oldest first, the
        truncated tail included.
    :param truncated: the missing run at the end of the range, if any (the sync failed: the exchange
        sent nothing more).
    :param refused: candles the exchange sent that failed the checks (twice) and were not stored.
    :param held_back_ms: open time of a candle the exchange's clock calls closed but its klines still
        serve as the newest (held back, stored by a later run), or None.
    :param seconds: wall time of the sync.
    :param wait_s: part of ``seconds`` spent waiting on the exchange (HTTP and rate limiter).
    :param store_s: seconds spent committing pages, on the writer thread (overlapping ``wait_s``).
    :param error: why the sync failed, None when it succeeded.
    """

    key: SeriesKey
    fetched: int = 0
    requests: int = 0
    bounds: SeriesBounds | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    holes: list[Gap] = field(default_factory=list)
    truncated: Gap | None = None
    refused: list[Refusal] = field(default_factory=list)
    held_back_ms: int | None = None
    seconds: float = 0.0
    wait_s: float = 0.0
    store_s: float = 0.0
    error: str | None = None

    @property
    def own_s(self) -> float:
        """Seconds spent in Huracan itself (parsing, checking, storing), the exchange's time excluded."""
        return max(self.seconds - self.wait_s, 0.0)

    @property
    def failure(self) -> str | None:
        """Why this series' download failed (an error or a truncated tail), or None."""
        if self.error is not None:
            return self.error
        if self.truncated is not None:
            gap = self.truncated
            return (
                f"{self.key}: truncated: the last {gap.missing:,} candle(s) of the range, "
                f"{format_ms(gap.first_ms)} .. {format_ms(gap.last_ms)}, are missing (the exchange sent none)"
            )
        return None

    def raise_if_failed(self) -> None:
        """Raise :class:`TruncatedDownloadError` for a truncated tail (:class:`HuracanError` for an error)
        when :attr:`failure` is set; callers that must not go on with such a series (the DAG tasks) call it."""
        if self.error is not None:
            raise HuracanError(self.error)
        if self.truncated is not None:
            raise TruncatedDownloadError(str(self.failure))


class _PageWriter:
    """Commits pages of one series to the store on a background thread, one transaction each, while the
    sync requests the next page. At most one write is in flight; :meth:`close` waits for it and raises
    its error, if any."""

    def __init__(self, store: CandleStore, key: SeriesKey) -> None:
        self.store, self.key = store, key
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="huracan-store")
        self._pending: Future[None] | None = None
        self.store_s = 0.0

    def write(self, rows: np.ndarray) -> None:
        """Start committing ``rows`` once the previous page is committed."""
        self.wait()
        self._pending = self._pool.submit(self._upsert, rows)

    def _upsert(self, rows: np.ndarray) -> None:
        started = time.perf_counter()
        try:
            self.store.upsert(self.key, rows)
        finally:
            self.store_s += time.perf_counter() - started

    def wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._pool.shutdown()


@dataclass
class _Page:
    """One checked answer: storable rows (unique, in range) and how the answer looked."""

    rows: np.ndarray
    refused: list[Refusal]
    complete: bool
    last_sent_ms: int | None


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
        """Fetch, check and store the missing closed candles of ``symbol`` in ``[since_ms, until_ms]``.

        ``since_ms`` None means from the stored start (or, for a new series, the exchange's first
        candle); ``until_ms`` None means up to the last closed candle.
        """
        started = time.perf_counter()
        wait_before = self.client.stats.wait_s
        requests_before = self.client.stats.candle_requests
        key = SeriesKey(self.client.exchange_id, symbol, timeframe.name)
        if since_ms is not None and until_ms is not None and since_ms > until_ms:
            raise ConfigError(f"{key}: since {format_ms(since_ms)} is after until {format_ms(until_ms)}")
        self.client.check_series(key.symbol, timeframe)

        last_closed_ms = timeframe.last_closed_open_ms(self.now_ms)
        end_ms = last_closed_ms if until_ms is None else min(last_closed_ms, timeframe.floor(until_ms))
        start_ms = timeframe.ceil(since_ms) if since_ms is not None else None
        summary = SyncSummary(key)
        up_to_now = end_ms == last_closed_ms
        ranges = self._ranges(key, timeframe, start_ms, end_ms, up_to_now)
        expected = sum(max((hi - lo) // timeframe.ms + 1, 0) for lo, hi in ranges)
        writer = _PageWriter(self.store, key)
        try:
            for index, (lo, hi) in enumerate(ranges):
                present = up_to_now and index == len(ranges) - 1
                self._fetch_range(key, timeframe, lo, hi, present, summary, writer, expected, progress)
        finally:
            writer.close()
            summary.store_s = writer.store_s

        if summary.held_back_ms is not None:
            end_ms = summary.held_back_ms - timeframe.ms
        self._account(summary, timeframe, start_ms, end_ms)
        summary.requests = self.client.stats.candle_requests - requests_before
        summary.wait_s = self.client.stats.wait_s - wait_before
        summary.seconds = time.perf_counter() - started
        return summary

    def _account(self, summary: SyncSummary, timeframe: Timeframe, start_ms: int | None, end_ms: int) -> None:
        """Fill in the stored bounds and every candle missing in ``[start_ms, end_ms]``."""
        key, tf = summary.key, timeframe.ms
        summary.bounds = self.store.bounds(key)
        first_ms = start_ms if start_ms is not None else (summary.bounds.first_ms if summary.bounds else None)
        if first_ms is None or first_ms > end_ms:
            return
        summary.start_ms, summary.end_ms = first_ms, end_ms
        inside = self.store.bounds(key, first_ms, end_ms)
        if inside is None:
            summary.truncated = Gap(first_ms, end_ms, (end_ms - first_ms) // tf + 1)
            summary.holes = [summary.truncated]
            return
        holes = []
        if inside.first_ms > first_ms:
            holes.append(Gap(first_ms, inside.first_ms - tf, (inside.first_ms - first_ms) // tf))
        holes += self.store.gaps(key, tf, first_ms, end_ms)
        if inside.last_ms < end_ms:
            summary.truncated = Gap(inside.last_ms + tf, end_ms, (end_ms - inside.last_ms) // tf)
            holes.append(summary.truncated)
        summary.holes = holes

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
        present: bool,
        summary: SyncSummary,
        writer: _PageWriter,
        expected: int,
        progress: ProgressCallback | None,
    ) -> None:
        """Fetch, check and store the closed candles with open time in ``[lo_ms, hi_ms]``, page by page.

        ``present``: the range ends at the exchange's last closed candle. Its pages then reach up to the
        exchange's now, so the answer shows the forming candle: the candle at ``hi_ms`` is stored only
        once the exchange has served a later one (else ``summary.held_back_ms``).
        """
        tf = timeframe.ms
        request_until = self.now_ms if present else hi_ms
        cursor = lo_ms
        held: np.ndarray | None = None
        while True:
            page = self._checked_page(key, timeframe, cursor, request_until, open_start=cursor == 0)
            summary.refused += page.refused
            rows = page.rows
            if present:
                later = rows[:, 0] > hi_ms
                if held is not None and later.any():
                    rows, held = np.vstack([held[None, :], rows]), None
                    later = rows[:, 0] > hi_ms
                rows = rows[~later]
                if len(rows) and rows[-1, 0] == hi_ms and not later.any():
                    held, rows = rows[-1].copy(), rows[:-1]
            if len(rows):
                writer.write(rows[:, :6])  # one transaction per page, committed now
                summary.fetched += len(rows)
            if progress is not None:
                progress(summary.fetched, expected)
            # A short page is not the end (a page can lack candles); only an empty one or reaching the end is.
            if page.last_sent_ms is None:
                break
            next_cursor = timeframe.floor(page.last_sent_ms) + tf
            if next_cursor > request_until:
                break
            if next_cursor <= cursor:
                raise ExchangeRequestError(f"{key}: the exchange returned candles before {cursor} ms; cannot page")
            cursor = next_cursor
        if held is not None:
            summary.held_back_ms = int(held[0])
            log.warning(
                "%s: the exchange still serves %s as its newest candle although its clock says it closed; "
                "held back until a later run sees the next one",
                key,
                format_ms(summary.held_back_ms),
            )

    def _checked_page(
        self, key: SeriesKey, timeframe: Timeframe, cursor_ms: int, until_ms: int, open_start: bool
    ) -> _Page:
        """One page from ``cursor_ms`` to ``until_ms``, checked; asked again (:data:`REFETCHES`) while it
        looks bad or incomplete. ``open_start``: the range starts at the exchange's first candle."""
        tf = timeframe.ms
        for attempt in range(REFETCHES + 1):
            sent = self.client.fetch_candles(
                symbol=key.symbol, timeframe=key.timeframe, since_ms=cursor_ms, until_ms=until_ms, limit=MAX_PAGE
            )
            opens = sent[:, 0]
            finite = opens[np.isfinite(opens)]
            inside = (opens >= cursor_ms) & (opens <= until_ms)
            rows, refused = checked(sent[inside], tf)
            first_ms = int(rows[0, 0]) if open_start and len(rows) else cursor_ms
            wanted = min(MAX_PAGE, max((timeframe.floor(until_ms) - first_ms) // tf + 1, 0))
            complete = not refused and bool(inside.all()) and len(rows) == wanted
            page = _Page(rows, refused, complete, int(finite.max()) if len(finite) else None)
            if complete:
                return page
            if attempt < REFETCHES:
                log.info(
                    "%s: page from %s has %d of %d candles (%d refused, %d outside the request); asking again",
                    key,
                    format_ms(cursor_ms),
                    len(rows),
                    wanted,
                    len(refused),
                    int((~inside).sum()),
                )
        for refusal in page.refused:
            log.warning("%s: refused candle %s", key, refusal.describe())
        return page


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
    (unknown symbol, exchange unavailable after retries, a rejected request) gets ``error`` set, keeps
    every page it stored, and the others carry on. A truncated series is reported by its ``failure``.
    """
    symbols = [normalize_symbol(symbol) for symbol in symbols]  # a bad symbol fails before any request
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
            continue
        if summaries[-1].failure is not None:
            log.error("%s", summaries[-1].failure)
    return summaries

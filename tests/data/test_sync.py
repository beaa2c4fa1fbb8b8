"""Incremental sync through real ccxt against the loopback emulator, on SQLite and PostgreSQL.

Request counts are read at the emulator, which sees exactly what ccxt sent. The fault tests are the
data-path findings of issue 9 (numbers in the test names' comments).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from huracan.clock import parse_instant_ms
from huracan.config import Settings
from huracan.data.candle_store import CandleStore, Gap, SeriesBounds, SeriesKey
from huracan.data.sync import CandleSync, download
from huracan.errors import TruncatedDownloadError
from huracan.market.client import MarketClient
from huracan.market.emulator import Emulator, Fault, FaultKind
from huracan.market.emulator.faults import Corruption
from huracan.market.exchange import build_exchange
from huracan.timeframes import Timeframe

HOUR_MS = 3_600_000
KLINES = "/api/v3/klines"
SINCE = parse_instant_ms("2022-01-01")
# 30 minutes into the 2022-04-15 04:00 candle: 2,500 closed hourly candles since SINCE, then a forming one.
CLOCK = SINCE + 2500 * HOUR_MS + 30 * 60_000
H1 = Timeframe.parse("1h")
KEY = SeriesKey("binance", "BTC/USDT", "1h")


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(seed=3, symbols=("BTC/USDT", "ETH/USDT"), clock_ms=CLOCK) as emu:
        yield emu


@pytest.fixture
def live_settings(settings: Settings, emulator: Emulator) -> Settings:
    return settings.model_copy(update={"exchange_url": emulator.url})


def sync_once(settings: Settings, **kwargs) -> object:
    (summary,) = download(settings, ["BTC/USDT"], H1, **{"since_ms": SINCE, **kwargs})
    assert summary.error is None, summary.error
    return summary


def test_first_sync_pages_forward_with_the_fewest_requests(live_settings: Settings, emulator: Emulator) -> None:
    summary = sync_once(live_settings)
    assert summary.fetched == 2500
    assert emulator.request_count(KLINES) == 3 == summary.requests  # 1000 + 1000 + 500
    assert emulator.request_count("/api/v3/exchangeInfo") == 1
    assert emulator.request_count() == 4  # the market load carries the server time: no extra request
    assert [r.params["limit"] for r in emulator.requests(KLINES)] == ["1000"] * 3
    assert summary.bounds.first_ms == SINCE and summary.bounds.count == 2500
    assert summary.holes == []


def test_the_forming_candle_is_never_stored(live_settings: Settings, emulator: Emulator) -> None:
    forming_open = SINCE + 2500 * HOUR_MS
    sync_once(live_settings)
    store = CandleStore.open(live_settings.store_url)
    assert store.bounds(KEY).last_ms == forming_open - HOUR_MS
    # the emulator did serve it (Binance does too); the sync dropped it
    exchange = build_exchange(live_settings)
    served = exchange.fetch_ohlcv("BTC/USDT", "1h", since=forming_open - HOUR_MS, limit=5)
    assert [row[0] for row in served] == [forming_open - HOUR_MS, forming_open]
    # once it has closed, the next run stores it with its final values
    emulator.set_clock(CLOCK + HOUR_MS)
    emulator.clear_requests()
    summary = sync_once(live_settings)
    assert summary.fetched == 1
    final = exchange.fetch_ohlcv("BTC/USDT", "1h", since=forming_open, limit=1)[0]
    stored = store.read(KEY, start_ms=forming_open)
    assert stored["close"].iloc[0] == final[4] and stored["volume"].iloc[0] == final[5]


def test_a_rerun_resumes_and_costs_one_request_when_nothing_is_new(live_settings: Settings, emulator: Emulator) -> None:
    sync_once(live_settings, until_ms=SINCE + 1999 * HOUR_MS)
    emulator.clear_requests()
    summary = sync_once(live_settings)
    assert summary.fetched == 500  # only what is new
    assert [r.params["startTime"] for r in emulator.requests(KLINES)] == [str(SINCE + 2000 * HOUR_MS)]
    emulator.clear_requests()
    summary = sync_once(live_settings)
    assert summary.fetched == 0
    assert emulator.request_count(KLINES, symbol="BTCUSDT", interval="1h") == 1
    assert summary.bounds.count == 2500


def test_rerun_is_idempotent(live_settings: Settings) -> None:
    sync_once(live_settings)
    store = CandleStore.open(live_settings.store_url)
    before = store.read(KEY)
    summary = sync_once(live_settings, since_ms=SINCE - 24 * HOUR_MS)  # a wider range: back-fills a day
    assert summary.fetched == 24
    after = store.read(KEY)
    assert len(after) == 2524 and after.index.is_unique
    assert after.loc[before.index].equals(before)


def test_a_page_missing_candles_is_asked_again_in_the_same_run(live_settings: Settings, emulator: Emulator) -> None:
    dropped = (SINCE + 100 * HOUR_MS, SINCE + 101 * HOUR_MS)
    emulator.inject(Fault(FaultKind.MISSING_KLINES, times=1, drop_open_ms=dropped))
    summary = sync_once(live_settings)
    assert summary.holes == [] and summary.bounds.count == 2500 and summary.failure is None
    starts = [int(r.params["startTime"]) for r in emulator.requests(KLINES)]
    assert starts == [SINCE, SINCE, SINCE + 1000 * HOUR_MS, SINCE + 2000 * HOUR_MS]


def test_holes_left_by_a_run_are_refetched_by_the_next(live_settings: Settings, emulator: Emulator) -> None:
    dropped = (SINCE + 100 * HOUR_MS, SINCE + 101 * HOUR_MS)
    emulator.inject(Fault(FaultKind.MISSING_KLINES, times=2, drop_open_ms=dropped))  # the page and its re-request
    first = sync_once(live_settings)
    assert first.holes == [Gap(dropped[0], dropped[1], 2)] and first.failure is None
    emulator.clear_requests()
    second = sync_once(live_settings)
    assert second.holes == [] and second.bounds.count == 2500
    starts = [int(r.params["startTime"]) for r in emulator.requests(KLINES)]
    assert starts == [dropped[0], SINCE + 2500 * HOUR_MS]  # the hole, then the forward probe


def test_holes_the_exchange_cannot_fill_are_reported(live_settings: Settings, emulator: Emulator) -> None:
    missing = [SINCE + 10 * HOUR_MS, SINCE + 11 * HOUR_MS]
    emulator.add_holes("BTC/USDT", "1h", missing)
    summary = sync_once(live_settings)
    assert summary.holes == [Gap(missing[0], missing[1], 2)]
    assert summary.bounds.count == 2498


def test_several_symbols_and_one_unknown(live_settings: Settings, emulator: Emulator) -> None:
    summaries = download(live_settings, ["BTC/USDT", "DOGE/USDT", "ETH/USDT"], H1, since_ms=SINCE + 2450 * HOUR_MS)
    assert [s.fetched for s in summaries] == [50, 0, 50]
    assert summaries[1].error is not None and "DOGE/USDT" in summaries[1].error
    assert emulator.request_count(KLINES, symbol="DOGEUSDT") == 0


def test_unknown_symbol_is_named(live_settings: Settings) -> None:
    from huracan.errors import UnknownSymbolError

    store = CandleStore.open(live_settings.store_url)
    with pytest.raises(UnknownSymbolError, match="DOGE/USDT"):
        CandleSync(MarketClient.from_settings(live_settings), store).sync("DOGE/USDT", H1)


@pytest.mark.parametrize("timeframe", ["1m", "5m", "15m", "4h", "1d"])
def test_every_timeframe_syncs_on_its_grid(live_settings: Settings, timeframe: str) -> None:
    tf = Timeframe.parse(timeframe)
    (summary,) = download(live_settings, ["ETH/USDT"], tf, since_ms=CLOCK - 1200 * tf.ms)
    assert summary.error is None
    assert 1199 <= summary.fetched <= 1200 and summary.holes == []
    frame = CandleStore.open(live_settings.store_url).read(SeriesKey("binance", "ETH/USDT", timeframe))
    assert (frame.index.as_unit("ms").asi8 % tf.ms == 0).all()
    assert frame.index[-1].value // 1_000_000 + tf.ms <= CLOCK  # last stored candle is closed


def test_a_range_ending_in_the_past_sends_no_probe(live_settings: Settings, emulator: Emulator) -> None:
    sync_once(live_settings, until_ms=SINCE + 99 * HOUR_MS)
    emulator.clear_requests()
    summary = sync_once(live_settings, until_ms=SINCE + 99 * HOUR_MS)
    assert summary.fetched == 0 and summary.requests == 0
    assert emulator.request_count(KLINES) == 0


def test_since_after_until_is_a_clear_error(live_settings: Settings, emulator: Emulator) -> None:
    (summary,) = download(live_settings, ["BTC/USDT"], H1, since_ms=SINCE + HOUR_MS, until_ms=SINCE)
    assert "is after until" in summary.error
    assert emulator.request_count(KLINES) == 0


# --- issue 9: every exchange fault survived, every bad candle refused, nothing fetched is lost ----------


@pytest.mark.parametrize("code", [-1000, -1001, -1006])
def test_binance_json_server_errors_are_retried_and_one_failing_symbol_spares_the_others(
    live_settings: Settings, emulator: Emulator, code: int
) -> None:
    """Finding 1: HTTP 500 {"code": -1000, ...} is ccxt's OperationFailed: retried, then a clear error
    for that symbol only; its pages already stored are kept and the next symbol is still downloaded."""
    emulator.inject(Fault(FaultKind.BINANCE_ERROR, times=2, code=code, path=KLINES))
    healed = sync_once(live_settings, until_ms=SINCE + 99 * HOUR_MS)
    assert healed.fetched == 100
    second_page = {"symbol": "BTCUSDT", "startTime": str(SINCE + 1100 * HOUR_MS)}
    emulator.inject(Fault(FaultKind.BINANCE_ERROR, times=100, code=code, params=second_page))
    btc, eth = download(live_settings, ["BTC/USDT", "ETH/USDT"], H1, since_ms=SINCE)
    assert btc.error is not None and "OperationFailed" in btc.error and "after 3 retries" in btc.error
    assert CandleStore.open(live_settings.store_url).bounds(KEY).count == 1100  # the first page is kept
    assert eth.error is None and eth.fetched == 2500


def test_an_empty_page_mid_history_is_asked_again(live_settings: Settings, emulator: Emulator) -> None:
    """Finding 2: an empty answer where the exchange has candles does not end the sync early."""
    emulator.inject(Fault(FaultKind.EMPTY_KLINES, times=1, params={"startTime": str(SINCE + 1000 * HOUR_MS)}))
    summary = sync_once(live_settings)
    assert summary.fetched == 2500 and summary.holes == [] and summary.truncated is None


def test_a_range_that_stays_truncated_fails_and_names_the_missing_tail(
    live_settings: Settings, emulator: Emulator
) -> None:
    """Finding 2: still no candles after the re-request: the tail is reported and the sync fails."""
    emulator.inject(Fault(FaultKind.EMPTY_KLINES, times=10, params={"startTime": str(SINCE + 1000 * HOUR_MS)}))
    (summary,) = download(live_settings, ["BTC/USDT"], H1, since_ms=SINCE)
    tail = Gap(SINCE + 1000 * HOUR_MS, SINCE + 2499 * HOUR_MS, 1500)
    assert summary.error is None and summary.truncated == tail and summary.holes == [tail]
    assert "truncated" in summary.failure and "1,500" in summary.failure
    with pytest.raises(TruncatedDownloadError, match="truncated"):
        summary.raise_if_failed()
    assert summary.bounds.count == 1000


def test_a_page_jumping_past_the_requested_end_is_asked_again(live_settings: Settings, emulator: Emulator) -> None:
    """Finding 2: a page whose last row lies past the end no longer ends the sync with rows skipped."""
    emulator.inject(Fault(FaultKind.PAST_END, times=1, keep_rows=10, params={"startTime": str(SINCE)}))
    summary = sync_once(live_settings, until_ms=SINCE + 499 * HOUR_MS)
    assert summary.fetched == 500 and summary.holes == [] and summary.bounds.count == 500


@pytest.mark.parametrize(
    "corruption",
    [
        Corruption.NAN,
        Corruption.NULL,
        Corruption.TEXT,
        Corruption.HIGH_BELOW_LOW,
        Corruption.NEGATIVE,
        Corruption.OFF_GRID,
    ],
)
def test_a_bad_candle_is_asked_again_and_the_real_one_stored(
    live_settings: Settings, emulator: Emulator, corruption: Corruption
) -> None:
    """Finding 3: a page with a bad candle is re-fetched; the exchange's corrected answer is stored."""
    bad_ms = SINCE + 50 * HOUR_MS
    emulator.inject(Fault(FaultKind.BAD_CANDLE, times=1, corruption=corruption, drop_open_ms=(bad_ms,)))
    summary = sync_once(live_settings, until_ms=SINCE + 99 * HOUR_MS)
    assert summary.refused == [] and summary.holes == [] and summary.bounds.count == 100
    stored = CandleStore.open(live_settings.store_url).read(KEY)
    assert (stored.index.as_unit("ms").asi8 % HOUR_MS == 0).all()
    real = build_exchange(live_settings).fetch_ohlcv("BTC/USDT", "1h", since=bad_ms, limit=1)[0]
    assert stored.loc[stored.index.as_unit("ms").asi8 == bad_ms, "close"].item() == pytest.approx(real[4])


@pytest.mark.parametrize(
    ("corruption", "reason"),
    [
        (Corruption.NAN, "close not a finite number"),
        (Corruption.NULL, "close not a finite number"),
        (Corruption.HIGH_BELOW_LOW, "do not contain open"),
        (Corruption.NEGATIVE, "price not positive"),
        (Corruption.DUPLICATE, "conflicting copies"),
    ],
)
def test_a_candle_that_stays_bad_is_refused_reported_and_healed_later(
    live_settings: Settings, emulator: Emulator, corruption: Corruption, reason: str
) -> None:
    """Findings 3 and 4: the same on both databases: refused, reported, not stored; a later run
    re-fetches the hole and stores the candle once the exchange serves it right."""
    bad_ms = SINCE + 50 * HOUR_MS
    emulator.inject(Fault(FaultKind.BAD_CANDLE, times=2, corruption=corruption, drop_open_ms=(bad_ms,)))
    summary = sync_once(live_settings, until_ms=SINCE + 99 * HOUR_MS)
    assert [(r.open_ms, reason in r.reason) for r in summary.refused] == [(bad_ms, True)]
    assert summary.holes == [Gap(bad_ms, bad_ms, 1)] and summary.failure is None
    store = CandleStore.open(live_settings.store_url)
    assert store.bounds(KEY).count == 99
    healed = sync_once(live_settings, until_ms=SINCE + 99 * HOUR_MS)
    assert healed.fetched == 1 and healed.holes == [] and store.bounds(KEY).count == 100


def test_an_off_grid_candle_that_stays_is_refused_and_the_grid_candle_reported_missing(
    live_settings: Settings, emulator: Emulator
) -> None:
    """Finding 3: an off-grid open time is never stored in place of the real candle."""
    bad_ms = SINCE + 50 * HOUR_MS
    emulator.inject(Fault(FaultKind.BAD_CANDLE, times=2, corruption=Corruption.OFF_GRID, drop_open_ms=(bad_ms,)))
    summary = sync_once(live_settings, until_ms=SINCE + 99 * HOUR_MS)
    assert [r.open_ms for r in summary.refused] == [bad_ms + HOUR_MS // 2]
    assert summary.holes == [Gap(bad_ms, bad_ms, 1)]
    stored = CandleStore.open(live_settings.store_url).read(KEY)
    assert (stored.index.as_unit("ms").asi8 % HOUR_MS == 0).all() and len(stored) == 99


def test_a_skewed_exchange_clock_never_stores_the_forming_candle(live_settings: Settings, emulator: Emulator) -> None:
    """Finding 3: the exchange info says an hour later than its klines: the candle the clock calls
    closed is still the exchange's newest (forming); it is held back, and stored final later."""
    emulator.inject(Fault(FaultKind.CLOCK_SKEW, times=1, skew_ms=HOUR_MS, path="/api/v3/exchangeInfo"))
    summary = sync_once(live_settings)
    forming_open = SINCE + 2500 * HOUR_MS
    assert summary.held_back_ms == forming_open and summary.failure is None
    store = CandleStore.open(live_settings.store_url)
    assert store.bounds(KEY).last_ms == forming_open - HOUR_MS
    emulator.set_clock(CLOCK + HOUR_MS)
    later = sync_once(live_settings)
    assert later.held_back_ms is None and later.fetched == 1
    final = build_exchange(live_settings).fetch_ohlcv("BTC/USDT", "1h", since=forming_open, limit=1)[0]
    assert store.read(KEY, start_ms=forming_open)["close"].item() == pytest.approx(final[4])


def test_identical_duplicates_in_a_page_are_one_candle_counted_once(
    live_settings: Settings, emulator: Emulator
) -> None:
    """Findings 4 and 12: an identical copy is stored once and "fetched" does not count it."""
    emulator.inject(Fault(FaultKind.BAD_CANDLE, times=2, corruption=Corruption.REPEAT))
    summary = sync_once(live_settings, until_ms=SINCE + 99 * HOUR_MS)
    assert summary.fetched == 100 and summary.refused == [] and summary.bounds.count == 100


def test_every_page_is_stored_as_it_arrives(live_settings: Settings, emulator: Emulator) -> None:
    """Finding 5: a failure on the third page keeps the 2,000 candles of the first two."""
    third = {"startTime": str(SINCE + 2000 * HOUR_MS)}
    emulator.inject(Fault(FaultKind.UNAVAILABLE, times=100, path=KLINES, params=third))
    (summary,) = download(live_settings, ["BTC/USDT"], H1, since_ms=SINCE)
    assert summary.error is not None and "ExchangeNotAvailable" in summary.error
    assert CandleStore.open(live_settings.store_url).bounds(KEY) == SeriesBounds(SINCE, SINCE + 1999 * HOUR_MS, 2000)

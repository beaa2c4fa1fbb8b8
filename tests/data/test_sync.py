"""Incremental sync through real ccxt against the loopback emulator, on SQLite and PostgreSQL.

Request counts are read at the emulator, which sees exactly what ccxt sent.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from huracan.clock import parse_instant_ms
from huracan.config import Settings
from huracan.data.candle_store import CandleStore, Gap, SeriesKey
from huracan.data.sync import CandleSync, download
from huracan.market.client import MarketClient
from huracan.market.emulator import Emulator, Fault, FaultKind
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
    sync_once(live_settings, until_ms=SINCE + 1499 * HOUR_MS)
    emulator.clear_requests()
    summary = sync_once(live_settings)
    assert summary.fetched == 1000  # only what is new
    assert [r.params["startTime"] for r in emulator.requests(KLINES)] == [str(SINCE + 1500 * HOUR_MS)]
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


def test_holes_are_found_and_refetched(live_settings: Settings, emulator: Emulator) -> None:
    dropped = (SINCE + 100 * HOUR_MS, SINCE + 101 * HOUR_MS, SINCE + 1700 * HOUR_MS)
    emulator.inject(Fault(FaultKind.MISSING_KLINES, times=3, drop_open_ms=dropped))
    first = sync_once(live_settings)
    assert first.holes == [
        Gap(dropped[0], dropped[1], 2),
        Gap(dropped[2], dropped[2], 1),
    ]
    emulator.clear_requests()
    second = sync_once(live_settings)
    assert second.holes == [] and second.bounds.count == 2500
    starts = [int(r.params["startTime"]) for r in emulator.requests(KLINES)]
    assert starts == [dropped[0], dropped[2], SINCE + 2500 * HOUR_MS]  # two holes, then the forward probe


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

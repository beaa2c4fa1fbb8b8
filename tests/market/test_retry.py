"""Retries on transient exchange errors, through real ccxt against the emulator's injected faults."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from huracan.clock import parse_instant_ms
from huracan.config import Settings
from huracan.errors import ExchangeRequestError, ExchangeUnavailableError, UnknownSymbolError
from huracan.market.client import MarketClient
from huracan.market.emulator import Emulator, Fault, FaultKind
from huracan.market.exchange import build_exchange
from huracan.market.retry import RetryPolicy, retry_after_s

KLINES = "/api/v3/klines"
CLOCK = parse_instant_ms("2024-06-01T12:00:00Z")
SINCE = parse_instant_ms("2024-05-01")
UNTIL = parse_instant_ms("2024-05-02")


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(seed=5, symbols=("BTC/USDT",), clock_ms=CLOCK) as emu:
        yield emu


class Sleeps(list):
    """Records the delays a client asked for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(emulator: Emulator, jitter_frac: float = 0.0, timeout_ms: int = 2_000) -> tuple[MarketClient, Sleeps]:
    settings = Settings(exchange_url=emulator.url, exchange_timeout_ms=timeout_ms)
    sleeps = Sleeps()
    policy = RetryPolicy(retries=3, base_delay_s=1.0, factor=2.0, max_delay_s=60.0, jitter_frac=jitter_frac)
    client = MarketClient(build_exchange(settings), policy, sleep=sleeps, rng=random.Random(1))
    client.load_markets()
    emulator.clear_requests()
    return client, sleeps


def fetch(client: MarketClient) -> list:
    return client.fetch_candles(symbol="BTC/USDT", timeframe="1h", since_ms=SINCE, until_ms=UNTIL)


@pytest.mark.parametrize(
    "kind",
    [
        FaultKind.RATE_LIMIT,
        FaultKind.IP_BAN,
        FaultKind.SERVER_ERROR,
        FaultKind.UNAVAILABLE,
        FaultKind.MALFORMED_JSON,
        FaultKind.DISCONNECT,
    ],
)
def test_transient_faults_are_retried_with_exponential_backoff(emulator: Emulator, kind: FaultKind) -> None:
    client, sleeps = client_for(emulator)
    emulator.inject(Fault(kind, times=3, path=KLINES, retry_after_s=0))
    rows = fetch(client)
    assert len(rows) == 25  # 2024-05-01 00:00 .. 2024-05-02 00:00, both included
    assert sleeps == [1.0, 2.0, 4.0]
    assert emulator.request_count(KLINES) == 4


def test_a_slow_response_past_the_timeout_is_retried(emulator: Emulator) -> None:
    client, sleeps = client_for(emulator, timeout_ms=200)
    emulator.inject(Fault(FaultKind.SLOW, times=1, path=KLINES, delay_s=1.0))
    assert len(fetch(client)) == 25
    assert sleeps == [1.0]


def test_retry_after_from_the_server_wins_over_a_shorter_backoff(emulator: Emulator) -> None:
    client, sleeps = client_for(emulator)
    emulator.inject(Fault(FaultKind.RATE_LIMIT, times=2, path=KLINES, retry_after_s=7))
    fetch(client)
    assert sleeps == [7.0, 7.0]


def test_jitter_stretches_each_delay_by_at_most_its_fraction(emulator: Emulator) -> None:
    client, sleeps = client_for(emulator, jitter_frac=0.1)
    emulator.inject(Fault(FaultKind.SERVER_ERROR, times=3, path=KLINES))
    fetch(client)
    for delay, base in zip(sleeps, [1.0, 2.0, 4.0], strict=True):
        assert base <= delay <= base * 1.1
    assert len(set(sleeps)) == 3


def test_after_the_last_retry_the_error_names_exchange_symbol_timeframe_and_cause(emulator: Emulator) -> None:
    client, sleeps = client_for(emulator)
    emulator.inject(Fault(FaultKind.UNAVAILABLE, times=10, path=KLINES))
    with pytest.raises(ExchangeUnavailableError) as caught:
        fetch(client)
    message = str(caught.value)
    for part in ("binance", "symbol=BTC/USDT", "timeframe=1h", "after 3 retries", "ExchangeNotAvailable"):
        assert part in message
    assert sleeps == [1.0, 2.0, 4.0]
    assert emulator.request_count(KLINES) == 4


def test_bad_requests_are_not_retried(emulator: Emulator) -> None:
    client, sleeps = client_for(emulator)
    with pytest.raises(ExchangeRequestError, match="BadRequest"):
        client.fetch_candles(symbol="BTC/USDT", timeframe="1M", since_ms=SINCE, until_ms=UNTIL)
    assert sleeps == []
    assert emulator.request_count(KLINES) == 1


def test_unknown_symbols_are_not_retried(emulator: Emulator) -> None:
    client, sleeps = client_for(emulator)
    with pytest.raises(UnknownSymbolError, match="XRP/USDT"):
        client.fetch_candles(symbol="XRP/USDT", timeframe="1h", since_ms=SINCE, until_ms=UNTIL)
    assert sleeps == []


def test_retry_after_header_parsing() -> None:
    assert retry_after_s({"Retry-After": "3"}) == 3.0
    assert retry_after_s({"retry-after": "0.5"}) == 0.5
    assert retry_after_s({"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}) is None
    assert retry_after_s({}) is None and retry_after_s(None) is None


def test_policy_from_settings_and_cap() -> None:
    policy = RetryPolicy.from_settings(Settings(retry_base_delay_s=0.5, retry_backoff_factor=3, retry_max_delay_s=2))
    assert [policy.backoff_s(i) for i in range(4)] == [0.5, 1.5, 2.0, 2.0]


def test_a_garbled_market_list_is_retried_not_taken_as_no_markets(emulator: Emulator) -> None:
    settings = Settings(exchange_url=emulator.url)
    sleeps = Sleeps()
    client = MarketClient(build_exchange(settings), RetryPolicy(jitter_frac=0.0), sleep=sleeps)
    emulator.inject(Fault(FaultKind.MALFORMED_JSON, times=2, path="/api/v3/exchangeInfo"))
    assert "BTC/USDT" in client.load_markets()
    assert sleeps == [1.0, 2.0]
    assert client.server_time_ms() == CLOCK


# --- issue 9 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [-1000, -1001, -1006])
def test_binance_json_server_errors_are_retried(emulator: Emulator, code: int) -> None:
    """Finding 1: ccxt maps these to OperationFailed (neither NetworkError nor ExchangeError)."""
    client, sleeps = client_for(emulator)
    emulator.inject(Fault(FaultKind.BINANCE_ERROR, times=3, code=code, path=KLINES))
    assert len(fetch(client)) == 25
    assert sleeps == [1.0, 2.0, 4.0]
    emulator.inject(Fault(FaultKind.BINANCE_ERROR, times=10, code=code, path=KLINES))
    with pytest.raises(ExchangeUnavailableError, match=f"OperationFailed.*{code}"):
        fetch(client)


def test_a_response_dripping_bytes_is_cut_at_the_total_deadline(emulator: Emulator) -> None:
    """Finding 8: each byte arrives well within the 1 s read timeout, the whole body would take about
    a minute; the request fails at its 1 s total deadline and the retry gets the candles."""
    client, sleeps = client_for(emulator, timeout_ms=1_000)
    emulator.inject(Fault(FaultKind.DRIP, times=1, path=KLINES, drip_bytes=64, delay_s=0.5))
    assert len(fetch(client)) == 25
    assert sleeps == [1.0]  # one timeout, one retry
    assert [r.fault for r in emulator.requests(KLINES)] == [FaultKind.DRIP, None]


def test_jitter_never_takes_a_delay_past_the_cap(emulator: Emulator) -> None:
    """Finding 12: the cap applies after the jitter."""
    settings = Settings(exchange_url=emulator.url)
    sleeps = Sleeps()
    policy = RetryPolicy(retries=3, base_delay_s=1.0, factor=2.0, max_delay_s=1.5, jitter_frac=0.5)
    client = MarketClient(build_exchange(settings), policy, sleep=sleeps, rng=random.Random(3))
    emulator.inject(Fault(FaultKind.SERVER_ERROR, times=3, path=KLINES))
    fetch(client)
    assert len(sleeps) == 3 and sleeps[0] > 1.0 and all(delay <= 1.5 for delay in sleeps)


def test_credentials_in_the_exchange_url_never_reach_a_log_line_or_an_error(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Finding 9: ccxt's messages carry the request URL, user and password included."""
    url = emulator.url.replace("http://", "http://huracan:s3cret-pw@")
    client = MarketClient(build_exchange(Settings(exchange_url=url)), RetryPolicy(retries=1), sleep=Sleeps())
    client.load_markets()
    emulator.inject(Fault(FaultKind.UNAVAILABLE, times=5, path=KLINES))
    with caplog.at_level("WARNING"), pytest.raises(ExchangeUnavailableError) as caught:
        fetch(client)
    assert caplog.records and "127.0.0.1" in caplog.text and "s3cret-pw" not in caplog.text
    assert "***@127.0.0.1" in str(caught.value) and "s3cret-pw" not in str(caught.value)

"""Market-data access through ccxt: markets, server time and candle pages, each call retried.

:class:`MarketClient` is the only place the rest of Huracan gets market data from. It counts the
requests it makes and the time spent waiting on the exchange (HTTP round trips and ccxt's rate
limiter), so callers can report requests made and their own cost apart from the exchange's.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ccxt

from huracan.config import Settings
from huracan.errors import ExchangeRequestError, UnknownSymbolError
from huracan.market.exchange import build_exchange
from huracan.market.retry import RetryPolicy, retry_transient
from huracan.timeframes import Timeframe

#: Largest klines page Binance serves.
MAX_PAGE = 1000


@dataclass
class ClientStats:
    """What a :class:`MarketClient` has done so far.

    :param requests: HTTP requests sent to the exchange, retries included.
    :param candle_requests: candle (klines) requests, retries included.
    :param wait_s: seconds spent waiting on the exchange: HTTP round trips plus rate-limiter sleeps.
    """

    requests: int = 0
    candle_requests: int = 0
    wait_s: float = 0.0


def _timed(func: Callable[..., Any], stats: ClientStats, count: bool) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            stats.wait_s += time.perf_counter() - started
            if count:
                stats.requests += 1

    return wrapper


class MarketClient:
    """Candles and market metadata from one exchange, through ccxt.

    :param exchange: a ccxt exchange (see :func:`build_exchange`).
    :param retry_policy: how transient errors are retried.
    :param sleep: how to wait between retries (tests pass a recorder).
    :param rng: source of retry jitter.
    """

    def __init__(
        self,
        exchange: ccxt.Exchange,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.exchange = exchange
        self.retry_policy = retry_policy or RetryPolicy()
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.stats = ClientStats()
        self._market_load_time_ms: int | None = None
        exchange.session.request = _timed(exchange.session.request, self.stats, count=True)
        exchange.throttle = _timed(exchange.throttle, self.stats, count=False)

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> MarketClient:
        return cls(build_exchange(settings), RetryPolicy.from_settings(settings), **kwargs)

    @property
    def exchange_id(self) -> str:
        return str(self.exchange.id)

    @retry_transient
    def load_markets(self) -> dict[str, Any]:
        """The exchange's markets (cached by ccxt after the first successful call)."""
        if self.exchange.markets:
            return self.exchange.markets
        markets = self.exchange.load_markets(reload=True)
        body = self._json_response("market")
        if isinstance(body, dict) and isinstance(body.get("serverTime"), int):
            self._market_load_time_ms = body["serverTime"]  # Binance's exchangeInfo carries its clock
        return markets

    def server_time_ms(self) -> int:
        """The exchange's clock (ms UTC) as of the market load. Candle closing is judged by it.

        Binance's exchange info carries the server time, so it costs no request of its own; other
        exchanges are asked once (``fetch_time``).
        """
        self.load_markets()
        if self._market_load_time_ms is None:
            self._market_load_time_ms = self._fetch_time_ms()
        return self._market_load_time_ms

    @retry_transient
    def _fetch_time_ms(self) -> int:
        return int(self.exchange.fetch_time())

    def check_series(self, symbol: str, timeframe: Timeframe) -> None:
        """Raise a clear error unless the exchange lists ``symbol`` and serves ``timeframe``."""
        markets = self.load_markets()
        if symbol not in markets:
            raise UnknownSymbolError(f"{self.exchange_id} does not list symbol {symbol!r}")
        if timeframe.name not in (self.exchange.timeframes or {}):
            raise ExchangeRequestError(f"{self.exchange_id} does not serve timeframe {timeframe.name!r}")

    @retry_transient
    def fetch_candles(
        self, *, symbol: str, timeframe: str, since_ms: int, until_ms: int, limit: int = MAX_PAGE
    ) -> list[list[float]]:
        """One page of candles with open time in ``[since_ms, until_ms]`` (ms UTC), oldest first.

        Rows are ``[open_time_ms, open, high, low, close, volume]`` as ccxt parses them (prices in quote
        currency, volume in base asset). At most ``limit`` rows (capped at :data:`MAX_PAGE`).
        """
        self.stats.candle_requests += 1
        rows = self.exchange.fetch_ohlcv(
            symbol, timeframe, since=since_ms, limit=min(limit, MAX_PAGE), params={"until": until_ms}
        )
        self._json_response("candle")
        return rows

    def _json_response(self, what: str) -> object:
        """The last response's decoded JSON; raise ``ccxt.BadResponse`` (retried) if it was not JSON.

        ccxt does not raise on a garbled body: it parses whatever it got, giving an empty candle page,
        junk rows or an empty (and cached) market list. Each of those would be read as an answer.
        """
        body = self.exchange.last_json_response
        if not isinstance(body, dict | list):
            if what == "market":
                self.exchange.markets = None  # ccxt cached what it parsed; load again on the retry
            text = str(self.exchange.last_http_response or "")
            raise ccxt.BadResponse(f"{self.exchange_id} {what} response is not valid JSON: {text[:80]!r}...")
        return body

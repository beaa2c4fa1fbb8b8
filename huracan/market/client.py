"""Market-data access through ccxt: markets, server time and candle pages, each call retried.

:class:`MarketClient` is the only place the rest of Huracan gets market data from. It counts the
requests it makes and the time spent waiting on the exchange (HTTP round trips and ccxt's rate
limiter), so callers can report requests made and their own cost apart from the exchange's.

Every HTTP request has a **total deadline** of ``HURACAN_EXCHANGE_TIMEOUT_MS``: ccxt passes its
timeout to ``requests``, which applies it to each socket read, so a server dripping one byte a second
could hold a request for minutes. Past the deadline the request fails as a ``RequestTimeout`` (retried).

Candle pages come back as numpy arrays converted from the exchange's raw rows where its klines are
arrays laid out ``[open_ms, open, high, low, close, volume, close_ms, ...]`` (Binance's, listed in
:data:`RAW_KLINE_CLOSE_INDEX`): ccxt's per-row OHLCV parser costs about 10 us a candle, more than
checking and storing it. ccxt still builds, signs, rate-limits and error-maps every request. Other
exchanges' rows go through ccxt's parser. Nothing is repaired here: a value that is not a number
becomes NaN and the sync's candle checks refuse it.
"""

from __future__ import annotations

import itertools
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ccxt
import numpy as np
import requests

from huracan.config import Settings
from huracan.errors import ExchangeRequestError, UnknownSymbolError
from huracan.market.exchange import build_exchange
from huracan.market.retry import RetryPolicy, retry_transient
from huracan.timeframes import Timeframe

#: Largest klines page Binance serves.
MAX_PAGE = 1000

#: Exchanges whose raw klines are arrays ``[open_ms, open, high, low, close, volume, ...]``, with the
#: index of the close time (ms UTC, ``open_ms + timeframe - 1``) in the row.
RAW_KLINE_CLOSE_INDEX: dict[str, int] = {"binance": 6, "binanceus": 6}

#: Columns of a candle page: open time, open, high, low, close, volume, close time (NaN when unknown).
PAGE_COLUMNS = 7


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


_Job = tuple[tuple[Any, ...], dict[str, Any], "queue.SimpleQueue[Any]"]


class _Deadline:
    """``request`` (a ``requests`` session's) bounded by a total deadline of ``deadline_s`` seconds.

    Requests run on a daemon worker thread, reused from one request to the next. Past the deadline the
    caller gets ``requests``' ``ReadTimeout`` (which ccxt maps to ``RequestTimeout``, retried); the worker,
    still stuck on the abandoned connection, is left behind (it never delays the process's exit) and
    the next request gets a new one.
    """

    def __init__(self, request: Callable[..., Any], deadline_s: float) -> None:
        self.request = request
        self.deadline_s = deadline_s
        self._jobs: queue.SimpleQueue[_Job | None] | None = None

    def _serve(self, jobs: queue.SimpleQueue[_Job | None]) -> None:
        while (job := jobs.get()) is not None:
            args, kwargs, answer = job
            try:
                answer.put((True, self.request(*args, **kwargs)))
            except BaseException as exc:  # handed to the caller's thread
                answer.put((False, exc))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._jobs is None:
            self._jobs = queue.SimpleQueue()
            threading.Thread(target=self._serve, args=(self._jobs,), name="huracan-http", daemon=True).start()
        answer: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._jobs.put((args, kwargs, answer))
        try:
            succeeded, value = answer.get(timeout=self.deadline_s)
        except queue.Empty:
            self._jobs.put(None)  # the worker is stuck on this request: it stops once that returns,
            self._jobs = None  # and the next request gets a new worker
            raise requests.exceptions.ReadTimeout(
                f"no complete response within the {self.deadline_s:g} s total deadline"
            ) from None
        if succeeded:
            return value
        raise value


def _keep_raw_rows(ohlcvs: Any, *args: Any, **kwargs: Any) -> Any:
    """Stands in for ccxt's ``parse_ohlcvs``: the raw rows, converted by :func:`page_array` instead."""
    return ohlcvs


def page_array(rows: list[Any], close_index: int | None) -> np.ndarray:
    """Candle rows as a ``(n, 7)`` float64 array (see :data:`PAGE_COLUMNS`); a value that is not a
    number (null, text, a short row) becomes NaN, never an exception."""
    width = 6 if close_index is None else close_index + 1
    pick = [0, 1, 2, 3, 4, 5] + ([] if close_index is None else [close_index])
    try:
        flat = np.fromiter(itertools.chain.from_iterable(row[:width] for row in rows), np.float64, len(rows) * width)
        array = flat.reshape(len(rows), width)[:, pick]
    except (TypeError, ValueError, IndexError):
        array = np.array([[_number(row, i) for i in pick] for row in rows], dtype=np.float64).reshape(len(rows), -1)
    if close_index is None:
        array = np.column_stack([array, np.full(len(rows), np.nan)])
    return array


def _number(row: Any, index: int) -> float:
    try:
        return float(row[index])
    except (TypeError, ValueError, IndexError, KeyError):
        return float("nan")


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
        self._close_index = RAW_KLINE_CLOSE_INDEX.get(str(exchange.id))
        deadline_s = float(exchange.timeout) / 1000.0
        exchange.session.request = _timed(_Deadline(exchange.session.request, deadline_s), self.stats, count=True)
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
    ) -> np.ndarray:
        """One page of candles with open time in ``[since_ms, until_ms]`` (ms UTC), as the exchange sent it.

        A ``(n, 7)`` float64 array, one row per candle the exchange sent (in its order, duplicates and
        bad values included; the sync checks them): open time (ms UTC), open, high, low, close (quote
        currency), volume (base asset), close time (ms UTC; NaN when the exchange sends none). At most
        ``limit`` rows (capped at :data:`MAX_PAGE`).
        """
        self.stats.candle_requests += 1
        if self._close_index is not None:
            self.exchange.parse_ohlcvs = _keep_raw_rows  # for this call only (see the module docstring)
        try:
            rows = self.exchange.fetch_ohlcv(
                symbol, timeframe, since=since_ms, limit=min(limit, MAX_PAGE), params={"until": until_ms}
            )
        finally:
            self.exchange.__dict__.pop("parse_ohlcvs", None)  # ccxt's own parser again for everyone else
        body = self._json_response("candle")
        if not isinstance(body, list) or not all(isinstance(row, list | tuple) for row in rows):
            raise ccxt.BadResponse(f"{self.exchange_id} candle response is not a list of rows: {str(body)[:80]!r}")
        return page_array(rows, self._close_index)

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

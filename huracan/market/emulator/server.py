"""A Binance-compatible HTTP server on loopback, so the real ccxt client runs offline.

``Emulator`` serves Binance spot REST endpoints from a routing table ``(method, path) -> handler``:
``GET /api/v3/ping``, ``/api/v3/time``, ``/api/v3/exchangeInfo`` and ``/api/v3/klines`` (candles from
:mod:`huracan.market.emulator.series`), and through :mod:`huracan.market.emulator.trading_api` the signed
account and order endpoints with the ticker and book (``Emulator.trading``). Other code adds endpoints with
:meth:`Emulator.add_route`.

**Handler contract.** A handler is ``Callable[[Request], Response]``. :class:`Request` holds the method, the
path, the parameters (query string merged with a form-encoded body, one string per name, last one wins),
the headers, the raw body, the emulator clock at arrival (ms UTC), the fault applied to this request
(if any) and the raw query string. :class:`Response` is ``(status, body, headers)``: ``body`` is a JSON-able
value, :class:`RawJson` (text already encoded as JSON) or :class:`PlainText`. To answer a Binance error,
raise :class:`ApiError` (``{"code": ..., "msg": ...}``); to close the connection without an answer (after
doing the work), raise :class:`DropConnection`. Any other exception becomes HTTP 500 ``{"code": -1000, ...}``,
logged.

**Clock.** Real time by default; :meth:`Emulator.set_clock` freezes it at a given ms UTC (``None`` goes back
to real time). No candle opening after the clock is served; the still-forming candle is (see ``series``).
Setting or advancing the clock matches resting orders against the candles it passed (see ``orders``).

Every request is recorded (:meth:`Emulator.requests`, :meth:`Emulator.request_count`). Faults for tests:
:meth:`Emulator.inject` (see ``faults``). The server binds 127.0.0.1 only and uses daemon threads.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from huracan.errors import UnknownTimeframeError
from huracan.market.emulator.faults import Fault, FaultInjector, FaultKind
from huracan.market.emulator.series import MarketData
from huracan.market.emulator.simulated import SimulationParams
from huracan.timeframes import Timeframe

if TYPE_CHECKING:
    from huracan.market.emulator.orders import TradingConfig
    from huracan.market.emulator.trading_api import TradingApi

logger = logging.getLogger(__name__)

SIM_START_MS = 1_546_300_800_000
"""Default first simulated open time: 2019-01-01T00:00Z, ms UTC."""
KLINES_DEFAULT_LIMIT, KLINES_MAX_LIMIT = 500, 1000
_JSON = "application/json;charset=UTF-8"


class RawJson(str):
    """A response body that is already JSON text (sent as is)."""


class PlainText(str):
    """A response body sent as ``text/plain`` (e.g. a proxy's 5xx page)."""


class DropConnection(Exception):
    """Raised by a handler to close the connection without an answer."""


@dataclass(frozen=True)
class Request:
    """A parsed request. ``params`` are strings; ``clock_ms`` is the emulator clock at arrival (ms UTC)."""

    method: str
    path: str
    params: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    clock_ms: int
    fault: Fault | None = None
    query: str = ""


class Response(NamedTuple):
    """What a handler returns: HTTP status, JSON-able body (or :class:`RawJson`), extra headers."""

    status: int
    body: Any
    headers: Mapping[str, str] = {}


class ApiError(Exception):
    """A Binance error answer: HTTP ``status`` with body ``{"code": code, "msg": msg}``."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(f"{status} {code} {msg}")
        self.status, self.code, self.msg = status, code, msg


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class RequestRecord:
    """One served request; ``status`` is None when a DISCONNECT fault sent no response."""

    method: str
    path: str
    params: Mapping[str, str]
    status: int | None
    clock_ms: int
    fault: FaultKind | None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, emulator: Emulator) -> None:
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _HttpHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("connection from %s failed", client_address, exc_info=True)  # not to stderr

    def close_connections(self) -> None:
        """Unblock handler threads waiting on keep-alive connections."""
        with self._connections_lock:
            for conn in list(self._connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)


class _HttpHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: without it keep-alive waits ~40 ms each
    server: _Server

    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if body and self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(body.decode(), keep_blank_values=True))
        emulator = self.server.emulator
        fault = emulator._faults.take(split.path, params)
        answer = emulator._answer(self.command, split.path, params, dict(self.headers), body, fault, split.query)
        if answer is None:  # DISCONNECT fault
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        status, payload, content_type, headers = answer
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if fault is not None and fault.kind is FaultKind.DRIP:
                for start in range(0, len(payload), fault.drip_bytes):
                    self.wfile.write(payload[start : start + fault.drip_bytes])
                    self.wfile.flush()
                    if emulator._stopping.wait(fault.delay_s):
                        break
            else:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (e.g. a SLOW or DRIP fault)
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


class Emulator:
    """The loopback Binance emulator; a context manager that starts on enter and stops on exit.

    :param seed: simulated-market seed (same seed: same candles).
    :param symbols: simulated symbols (unified, e.g. "BTC/USDT"); they serve every supported timeframe.
    :param csv: candle CSV file per (symbol, timeframe name), e.g. ``{("BTC/USDT", "1d"): path}``. Its
        symbol is listed too; a CSV-only symbol serves an empty list for other timeframes.
    :param clock_ms: initial clock, ms UTC; ``None`` means real time.
    :param sim_start_ms: first simulated open time, ms UTC (rounded up to each timeframe's grid).
    :param start_prices: simulated start price per symbol, quote currency; default derived from the symbol
        (10,000 for BTC/USDT).
    :param sim_params: simulated-market parameters (default :class:`SimulationParams`).
    :param max_logged_requests: the request log keeps this many most recent requests (bounded memory
        for a long-running CLI emulator).
    :param trading: accounts, fees, spread and trading timeframe of the order endpoints (default
        :class:`~huracan.market.emulator.orders.TradingConfig`: the test key, 100,000 of each quote asset,
        0.1 % fees, 1d candles).
    """

    def __init__(
        self,
        seed: int = 0,
        symbols: tuple[str, ...] = ("BTC/USDT", "ETH/USDT"),
        csv: Mapping[tuple[str, str], Path] | None = None,
        clock_ms: int | None = None,
        sim_start_ms: int = SIM_START_MS,
        start_prices: Mapping[str, float] | None = None,
        sim_params: SimulationParams | None = None,
        max_logged_requests: int = 100_000,
        trading: TradingConfig | None = None,
    ) -> None:
        self.market = MarketData(
            seed, tuple(symbols), dict(csv or {}), sim_start_ms, dict(start_prices or {}), sim_params
        )
        self._clock_ms = clock_ms
        self._faults = FaultInjector()
        self._log: deque[RequestRecord] = deque(maxlen=max_logged_requests)
        self._log_lock = threading.Lock()
        self._routes: dict[tuple[str, str], Handler] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.add_route("GET", "/api/v3/ping", lambda request: Response(200, {}))
        self.add_route("GET", "/api/v3/time", lambda request: Response(200, {"serverTime": request.clock_ms}))
        self.add_route("GET", "/api/v3/exchangeInfo", self._exchange_info)
        self.add_route("GET", "/api/v3/klines", self._klines)
        from huracan.market.emulator.trading_api import TradingApi  # imported here: it imports this module

        csv_timeframes: dict[str, list[str]] = {}
        for symbol, tf_name in csv or {}:
            csv_timeframes.setdefault(symbol, []).append(tf_name)
        self.trading: TradingApi = TradingApi(self.market, trading, csv_timeframes, self._stopping)
        self.trading.register(self.add_route)

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self, port: int = 0) -> Emulator:
        """Listen on 127.0.0.1:``port`` (0 = a free port) in a background thread; returns self."""
        if self._server is not None:
            raise RuntimeError(f"emulator already running at {self.url}")
        self._stopping.clear()
        self._server = _Server(port, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"emulator-{self.port}", daemon=True
        )
        self._thread.start()
        logger.debug("emulator started at %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and wake any SLOW fault; safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def serve_forever(self, port: int) -> None:
        """Serve on ``port`` until interrupted (Ctrl-C); for the command line."""
        self.start(port)
        logger.info("Binance emulator listening on %s", self.url)
        try:
            while not self._stopping.wait(timeout=0.5):  # (an interrupted Thread.join would hang stop())
                pass
        except KeyboardInterrupt:
            logger.info("emulator interrupted")
        finally:
            self.stop()

    def __enter__(self) -> Emulator:
        return self if self._server is not None else self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("emulator not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. "http://127.0.0.1:8765" (for ``Settings(exchange_url=...)``)."""
        return f"http://127.0.0.1:{self.port}"

    # --- clock, routes, faults, holes ----------------------------------------------------------------

    @property
    def clock_ms(self) -> int:
        """The emulator's current time, ms UTC."""
        clock = self._clock_ms
        return int(time.time() * 1000) if clock is None else clock

    def set_clock(self, clock_ms: int | None) -> None:
        """Freeze the clock at ``clock_ms`` (ms UTC); ``None`` means real time again."""
        self._clock_ms = None if clock_ms is None else int(clock_ms)
        self.trading.engine.match(self.clock_ms)

    def advance_clock(self, delta_ms: int) -> None:
        """Move a frozen clock forward by ``delta_ms`` milliseconds."""
        if self._clock_ms is None:
            raise RuntimeError("the clock follows real time; set_clock() first")
        self._clock_ms += int(delta_ms)
        self.trading.engine.match(self._clock_ms)

    def add_route(self, method: str, path: str, handler: Handler, replace: bool = False) -> None:
        """Serve ``method path`` with ``handler`` (see the module docstring for the contract)."""
        key = (method.upper(), path)
        if key in self._routes and not replace:
            raise ValueError(f"route {method} {path} exists; pass replace=True to override it")
        self._routes[key] = handler

    def inject(self, fault: Fault) -> None:
        """Apply ``fault`` to the next ``fault.times`` matching requests (thread-safe)."""
        self._faults.inject(fault)

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        self._faults.clear()

    def pending_faults(self) -> list[tuple[Fault, int]]:
        """Faults not used up yet, with how many requests each still applies to."""
        return self._faults.pending()

    def add_holes(self, symbol: str, timeframe: str, open_ms: list[int]) -> None:
        """Mark candles of (unified ``symbol``, ``timeframe``) as permanently missing, by open time (ms UTC)."""
        self.market.series(symbol, Timeframe.parse(timeframe)).add_holes(open_ms)

    # --- request log ---------------------------------------------------------------------------------

    def requests(
        self, path: str | None = None, method: str | None = None, status: int | None = None, **params: str | int
    ) -> list[RequestRecord]:
        """Recorded requests matching every given filter; ``params`` match query parameters as strings."""
        with self._log_lock:
            records = list(self._log)
        return [
            r
            for r in records
            if (path is None or r.path == path)
            and (method is None or r.method == method.upper())
            and (status is None or r.status == status)
            and all(r.params.get(name) == str(value) for name, value in params.items())
        ]

    def request_count(
        self, path: str | None = None, method: str | None = None, status: int | None = None, **params: str | int
    ) -> int:
        """Number of recorded requests matching the filters of :meth:`requests`."""
        return len(self.requests(path, method, status, **params))

    def clear_requests(self) -> None:
        """Forget every recorded request."""
        with self._log_lock:
            self._log.clear()

    # --- serving -------------------------------------------------------------------------------------

    def _answer(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        fault: Fault | None,
        query: str = "",
    ) -> tuple[int, bytes, str, Mapping[str, str]] | None:
        """(status, payload, content type, headers) of a request with ``fault`` applied (taken from the
        injector by the caller), or None to drop the connection; ``query`` is the raw query string
        (signatures are computed over it)."""
        skew_ms = fault.skew_ms if fault is not None and fault.kind is FaultKind.CLOCK_SKEW else 0
        request = Request(method, path, params, headers, body, self.clock_ms + skew_ms, fault, query)
        content_type: str = _JSON
        answer = fault.response() if fault is not None else None
        if fault is not None and fault.kind is FaultKind.DISCONNECT:
            self._record(request, None)
            return None
        out_headers: Mapping[str, str]
        if answer is not None:
            status, payload_obj, out_headers = answer
            if isinstance(payload_obj, str):
                payload, content_type = payload_obj.encode(), "text/plain; charset=utf-8"
            else:
                payload = json.dumps(payload_obj).encode()
        else:
            routed = self._route(request)
            if routed is None:  # the handler raised DropConnection
                self._record(request, None)
                return None
            status, payload, content_type, out_headers = routed
            if fault is not None and fault.kind is FaultKind.MALFORMED_JSON:
                payload = payload[: max(1, len(payload) // 2)]
        self._record(request, status)
        if fault is not None and fault.kind is FaultKind.SLOW:  # answered (and logged) now, sent late
            self._stopping.wait(fault.delay_s)
        return status, payload, content_type, out_headers

    def _route(self, request: Request) -> tuple[int, bytes, str, Mapping[str, str]] | None:
        handler = self._routes.get((request.method, request.path))
        if handler is None:  # like Binance: a plain (non-JSON) 404 page
            return 404, f"Not Found: {request.method} {request.path}".encode(), "text/plain; charset=utf-8", {}
        try:
            response = Response(*handler(request))
        except ApiError as e:
            response = Response(e.status, {"code": e.code, "msg": e.msg})
        except DropConnection:
            return None
        except Exception:
            logger.exception("emulator handler failed for %s %s", request.method, request.path)
            response = Response(500, {"code": -1000, "msg": "An unknown error occurred while processing the request."})
        body = response.body
        if isinstance(body, PlainText):
            return response.status, body.encode(), "text/plain; charset=utf-8", dict(response.headers)
        text = body if isinstance(body, RawJson) else json.dumps(body, separators=(",", ":"))
        return response.status, text.encode(), _JSON, dict(response.headers)

    def _record(self, request: Request, status: int | None) -> None:
        record = RequestRecord(
            request.method,
            request.path,
            dict(request.params),
            status,
            request.clock_ms,
            None if request.fault is None else request.fault.kind,
        )
        with self._log_lock:
            self._log.append(record)

    # --- Binance market-data endpoints ---------------------------------------------------------------

    def _exchange_info(self, request: Request) -> Response:
        wanted = request.params.get("symbol")
        if wanted is not None and wanted not in self.market.symbols:
            raise ApiError(400, -1121, "Invalid symbol.")
        return Response(200, self.market.exchange_info(request.clock_ms, wanted))

    def _klines(self, request: Request) -> Response:
        params = request.params
        for name in ("symbol", "interval"):
            if not params.get(name):
                raise ApiError(400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")
        symbol = self.market.symbols.get(params["symbol"])
        if symbol is None:
            raise ApiError(400, -1121, "Invalid symbol.")
        try:
            timeframe = Timeframe.parse(params["interval"])
        except UnknownTimeframeError:
            raise ApiError(400, -1120, "Invalid interval.") from None
        limit = _int_param(params, "limit")
        limit = KLINES_DEFAULT_LIMIT if limit is None else limit
        if not 1 <= limit <= KLINES_MAX_LIMIT:
            raise ApiError(400, -1130, "Data sent for parameter 'limit' is not valid.")
        start_ms, end_ms = _int_param(params, "startTime"), _int_param(params, "endTime")
        # startTime > endTime simply selects nothing (spot answers []; only futures answer -1023).
        block = self.market.series(symbol, timeframe).page(start_ms, end_ms, limit, request.clock_ms)
        if request.fault is not None:
            return Response(200, RawJson(request.fault.klines_json(block, end_ms)))
        return Response(200, RawJson(block.to_json()))


def _int_param(params: Mapping[str, str], name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 20:
        raise ApiError(400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.")
    return int(value)

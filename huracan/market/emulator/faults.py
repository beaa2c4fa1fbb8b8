"""Fault injection: make the emulator misbehave for the next N matching requests.

``emulator.inject(Fault(FaultKind.RATE_LIMIT, times=2, path="/api/v3/klines"))`` makes the next two
klines requests answer HTTP 429. Faults are consumed in the order injected; a request takes at most one.
What each kind does, and the ccxt exception the client from ``huracan.market.exchange.build_exchange``
raises for it (checked by ``tests/market/test_emulator.py``):

============== =================================================================== ===========================
kind           response                                                            ccxt exception
============== =================================================================== ===========================
RATE_LIMIT     429, ``Retry-After: <s>``, ``{"code": -1003, "msg": "Too many..."}`` ``DDoSProtection``
IP_BAN         418, ``Retry-After: <s>``, ``{"code": -1003, "msg": "Way too..."}`` ``DDoSProtection``
SERVER_ERROR   500, plain-text body                                                ``ExchangeNotAvailable``
UNAVAILABLE    503, plain-text body                                                ``ExchangeNotAvailable``
SLOW           sleeps ``delay_s`` seconds, then the normal response                ``RequestTimeout`` (if
                                                                                   past the client timeout)
MALFORMED_JSON 200, the normal body cut in half                                    none (see below)
DISCONNECT     the connection is closed without a response                         ``NetworkError``
MISSING_KLINES a klines page without the candles at ``drop_open_ms``, or without   none: rows are just missing
               ``drop_middle`` candles from the middle of the page
============== =================================================================== ===========================

binance's ``handle_errors`` raises ``DDoSProtection`` for both 418 and 429 before looking at the body
(``RateLimitExceeded`` is a subclass of ``DDoSProtection``, not the other way round). ccxt stores the
response headers in ``exchange.last_response_headers`` before it checks the status, so after a 429 the
``Retry-After`` header can be read there.

ccxt does not raise on MALFORMED_JSON: it returns the undecodable text to the method's parser, so
``fetch_ohlcv`` returns junk rows (``[n, None, None, None, None, None]``), ``load_markets`` returns and
caches ``{}`` (later calls raise ``BadSymbol`` until ``load_markets(reload=True)``) and ``fetch_time``
returns None. ``exchange.last_http_response`` holds the raw truncated text. Callers must validate.

Permanent holes (candles the exchange never serves) are not faults: see ``Emulator.add_holes``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

logger = logging.getLogger(__name__)

KLINES_PATH = "/api/v3/klines"


class FaultKind(StrEnum):
    """What an injected fault does (see the module docstring)."""

    RATE_LIMIT = "rate_limit"
    IP_BAN = "ip_ban"
    SERVER_ERROR = "server_error"
    UNAVAILABLE = "unavailable"
    SLOW = "slow"
    MALFORMED_JSON = "malformed_json"
    DISCONNECT = "disconnect"
    MISSING_KLINES = "missing_klines"


@dataclass(frozen=True)
class Fault:
    """A fault applied to the next ``times`` requests that match ``path`` and ``params``.

    :param kind: what happens.
    :param times: how many matching requests it applies to, >= 1.
    :param path: only requests to this path (e.g. "/api/v3/klines"); ``None`` means any path. A
        MISSING_KLINES fault always applies to klines only.
    :param params: only requests whose query parameters include these values (e.g.
        ``{"symbol": "BTCUSDT"}``); ``None`` means any.
    :param retry_after_s: value of the ``Retry-After`` header of RATE_LIMIT and IP_BAN, seconds.
    :param delay_s: how long a SLOW response waits before answering, seconds.
    :param drop_open_ms: MISSING_KLINES: open times (ms UTC) removed from the page.
    :param drop_middle: MISSING_KLINES: number of candles removed from the middle of the page.
    """

    kind: FaultKind
    times: int = 1
    path: str | None = None
    params: Mapping[str, str] | None = None
    retry_after_s: int = 1
    delay_s: float = 2.0
    drop_open_ms: tuple[int, ...] = ()
    drop_middle: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", FaultKind(self.kind))
        if self.times < 1:
            raise ValueError(f"Fault.times must be >= 1, got {self.times}")
        if self.retry_after_s < 0 or self.delay_s < 0 or self.drop_middle < 0:
            raise ValueError("Fault.retry_after_s, delay_s and drop_middle must be >= 0")
        if self.kind is FaultKind.MISSING_KLINES:
            if not self.drop_open_ms and not self.drop_middle:
                raise ValueError("a MISSING_KLINES fault needs drop_open_ms or drop_middle > 0")
            if self.path not in (None, KLINES_PATH):
                raise ValueError(f"a MISSING_KLINES fault applies to {KLINES_PATH} only, not {self.path}")
            object.__setattr__(self, "path", KLINES_PATH)
        object.__setattr__(self, "drop_open_ms", tuple(int(t) for t in self.drop_open_ms))

    def matches(self, path: str, params: Mapping[str, str]) -> bool:
        """Whether a request to ``path`` with query ``params`` is affected."""
        if self.path is not None and self.path != path:
            return False
        return all(params.get(key) == str(value) for key, value in (self.params or {}).items())

    def response(self) -> tuple[int, object, dict[str, str]] | None:
        """(status, JSON-able or text body, headers) for faults that replace the response, else None."""
        if self.kind is FaultKind.RATE_LIMIT:
            body = {
                "code": -1003,
                "msg": "Too many requests; current limit of IP(127.0.0.1) is 6000 requests "
                "per minute. Please use WebSocket Streams for live updates to avoid polling the API.",
            }
            return 429, body, {"Retry-After": str(self.retry_after_s)}
        if self.kind is FaultKind.IP_BAN:
            body = {
                "code": -1003,
                "msg": "Way too many requests; IP(127.0.0.1) banned until further notice. "
                "Please use WebSocket Streams for live updates to avoid bans.",
            }
            return 418, body, {"Retry-After": str(self.retry_after_s)}
        if self.kind is FaultKind.SERVER_ERROR:
            return 500, "Internal Server Error", {}
        if self.kind is FaultKind.UNAVAILABLE:
            return 503, "Service Unavailable", {}
        return None

    def keep_mask(self, open_ms: np.ndarray) -> np.ndarray:
        """MISSING_KLINES: boolean mask of the page rows (by open time, ms UTC) that are kept."""
        keep = ~np.isin(open_ms, np.asarray(self.drop_open_ms, dtype=np.int64))
        if self.drop_middle:
            n = len(open_ms)
            k = min(self.drop_middle, n)
            first = (n - k) // 2
            keep[first : first + k] = False
        return keep


@dataclass
class _Pending:
    fault: Fault
    left: int


@dataclass
class FaultInjector:
    """Thread-safe queue of injected faults."""

    _pending: list[_Pending] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def inject(self, fault: Fault) -> None:
        """Apply ``fault`` to the next ``fault.times`` matching requests."""
        with self._lock:
            self._pending.append(_Pending(fault, fault.times))
        logger.info("fault injected: %s x%d on %s", fault.kind, fault.times, fault.path or "any path")

    def take(self, path: str, params: Mapping[str, str]) -> Fault | None:
        """The first pending fault matching the request, counted as used; None if there is none."""
        with self._lock:
            for pending in self._pending:
                if pending.fault.matches(path, params):
                    pending.left -= 1
                    if pending.left == 0:
                        self._pending.remove(pending)
                    return pending.fault
        return None

    def pending(self) -> list[tuple[Fault, int]]:
        """Faults not yet used up, with the number of requests each still applies to."""
        with self._lock:
            return [(p.fault, p.left) for p in self._pending]

    def clear(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._pending.clear()

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
BINANCE_ERROR  ``status`` (500), ``{"code": <code>, "msg": ...}``, Binance's code   ``OperationFailed`` for
               (``-1000`` unknown error; ``-1001`` disconnected; ``-1006``         -1000/-1001/-1006, else
               unexpected response; any other code with ``msg``)                   ccxt's mapping of ``code``
SERVER_ERROR   500, plain-text body                                                ``ExchangeNotAvailable``
UNAVAILABLE    503, plain-text body                                                ``ExchangeNotAvailable``
SLOW           sleeps ``delay_s`` seconds, then the normal response                ``RequestTimeout`` (if
                                                                                   past the client timeout)
DRIP           the normal response, its body sent ``drip_bytes`` bytes every       ``RequestTimeout`` (past
               ``delay_s`` seconds                                                 the total deadline)
MALFORMED_JSON 200, the normal body cut in half                                    none (see below)
DISCONNECT     the connection is closed without a response                         ``NetworkError``
CLOCK_SKEW     the request sees the clock moved by ``skew_ms`` (``serverTime`` of  none
               ``/time`` and ``/exchangeInfo``; klines as of that time)
MISSING_KLINES a klines page without the candles at ``drop_open_ms``, or without   none: rows are just missing
               ``drop_middle`` candles from the middle of the page
EMPTY_KLINES   a klines page with no candles (``[]``)                              none
PAST_END       a klines page cut after ``keep_rows`` candles, then one candle      none
               opening after the requested ``endTime``
BAD_CANDLE     a klines page whose candles at ``drop_open_ms`` (default: the       none: the values are
               middle one) are corrupted as ``corruption`` says (see               what ccxt returns
               :class:`Corruption`)
============== =================================================================== ===========================

Faults can be given on the command line: ``huracan emulator --fault binance_error,code=-1001,times=3``
(see :meth:`Fault.parse`).

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

import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from huracan.market.emulator.series import CandleBlock

logger = logging.getLogger(__name__)

KLINES_PATH = "/api/v3/klines"

#: Binance's messages for its server-side error codes (HTTP 500 in practice).
BINANCE_MESSAGES: dict[int, str] = {
    -1000: "An unknown error occurred while processing the request.",
    -1001: "Internal error; unable to process your request. Please try again.",
    -1006: "An unexpected response was received from the message bus. Execution status unknown.",
    -1007: "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
    -1003: "Too many requests queued.",
    -1021: "Timestamp for this request is outside of the recvWindow.",
}


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
    BINANCE_ERROR = "binance_error"
    DRIP = "drip"
    CLOCK_SKEW = "clock_skew"
    EMPTY_KLINES = "empty_klines"
    PAST_END = "past_end"
    BAD_CANDLE = "bad_candle"


class Corruption(StrEnum):
    """How a BAD_CANDLE fault spoils a candle row (Binance sends prices as strings)."""

    NAN = "nan"  # close "NaN"
    NULL = "null"  # close null
    TEXT = "text"  # close "n/a"
    HIGH_BELOW_LOW = "high_below_low"  # high and low swapped
    NEGATIVE = "negative"  # low below zero
    OFF_GRID = "off_grid"  # open time moved half a candle later
    DUPLICATE = "duplicate"  # a second copy of the row follows it, with another volume
    REPEAT = "repeat"  # an identical second copy of the row follows it


#: Fault fields settable as ``name=value`` on the command line (besides drop_open_ms and symbol).
_TEXT_OPTIONS = (
    "times",
    "path",
    "retry_after_s",
    "delay_s",
    "drop_middle",
    "status",
    "code",
    "msg",
    "skew_ms",
    "keep_rows",
    "drip_bytes",
    "corruption",
)

_KLINE_FAULTS = {
    FaultKind.MISSING_KLINES,
    FaultKind.EMPTY_KLINES,
    FaultKind.PAST_END,
    FaultKind.BAD_CANDLE,
}


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
    :param delay_s: how long a SLOW response waits before answering, and a DRIP response between two
        pieces of its body, seconds.
    :param drop_open_ms: MISSING_KLINES: open times (ms UTC) removed from the page; BAD_CANDLE: open
        times of the candles spoiled (none: the middle candle of the page).
    :param drop_middle: MISSING_KLINES: number of candles removed from the middle of the page.
    :param status: BINANCE_ERROR: the HTTP status.
    :param code: BINANCE_ERROR: Binance's error code (negative).
    :param msg: BINANCE_ERROR: the message; None means Binance's own for ``code``.
    :param skew_ms: CLOCK_SKEW: how far the clock the request sees is moved, ms (negative: behind).
    :param keep_rows: PAST_END: candles kept before the one past the end.
    :param drip_bytes: DRIP: bytes sent per piece.
    :param corruption: BAD_CANDLE: how the candles are spoiled.
    """

    kind: FaultKind
    times: int = 1
    path: str | None = None
    params: Mapping[str, str] | None = None
    retry_after_s: int = 1
    delay_s: float = 2.0
    drop_open_ms: tuple[int, ...] = ()
    drop_middle: int = 0
    status: int = 500
    code: int = -1000
    msg: str | None = None
    skew_ms: int = 0
    keep_rows: int = 1
    drip_bytes: int = 1
    corruption: Corruption = Corruption.NAN

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", FaultKind(self.kind))
        object.__setattr__(self, "corruption", Corruption(self.corruption))
        if self.times < 1:
            raise ValueError(f"Fault.times must be >= 1, got {self.times}")
        if self.retry_after_s < 0 or self.delay_s < 0 or self.drop_middle < 0 or self.keep_rows < 0:
            raise ValueError("Fault.retry_after_s, delay_s, drop_middle and keep_rows must be >= 0")
        if self.drip_bytes < 1 or not 400 <= self.status <= 599:
            raise ValueError(f"Fault.drip_bytes must be >= 1 and status 400..599, got {self.drip_bytes}, {self.status}")
        if self.kind is FaultKind.MISSING_KLINES and not self.drop_open_ms and not self.drop_middle:
            raise ValueError("a MISSING_KLINES fault needs drop_open_ms or drop_middle > 0")
        if self.kind in _KLINE_FAULTS:
            if self.path not in (None, KLINES_PATH):
                raise ValueError(f"a {self.kind.value} fault applies to {KLINES_PATH} only, not {self.path}")
            object.__setattr__(self, "path", KLINES_PATH)
        object.__setattr__(self, "drop_open_ms", tuple(int(t) for t in self.drop_open_ms))

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """A fault from command-line text ``KIND[,name=value...]``, e.g. ``binance_error,code=-1001,times=3``
        or ``bad_candle,corruption=high_below_low,drop_open_ms=1700000000000``. Several open times are
        joined with ``+``; ``symbol=BTCUSDT`` restricts the fault to one market. Raises ValueError naming
        the bad part."""
        kind_text, *options = [part.strip() for part in spec.split(",") if part.strip()] or [""]
        try:
            kind = FaultKind(kind_text)
        except ValueError:
            raise ValueError(f"fault {spec!r}: kind must be one of {', '.join(k.value for k in FaultKind)}") from None
        types = {f.name: f.type for f in fields(cls)}
        values: dict[str, object] = {}
        for option in options:
            name, sep, text = option.partition("=")
            try:
                if not sep:
                    raise ValueError("expected name=value")
                if name == "symbol":
                    values["params"] = {"symbol": text}
                elif name == "drop_open_ms":
                    values[name] = tuple(int(t) for t in text.split("+"))
                elif name in _TEXT_OPTIONS:
                    kind_of = types[name]
                    values[name] = int(text) if kind_of == "int" else float(text) if kind_of == "float" else text
                else:
                    raise ValueError(
                        f"unknown option; known: {', '.join(sorted([*_TEXT_OPTIONS, 'drop_open_ms', 'symbol']))}"
                    )
            except ValueError as exc:
                raise ValueError(f"fault {spec!r}: {option!r}: {exc}") from None
        try:
            return cls(kind, **values)  # type: ignore[arg-type]
        except ValueError as exc:
            raise ValueError(f"fault {spec!r}: {exc}") from None

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
        if self.kind is FaultKind.BINANCE_ERROR:
            return self.status, {"code": self.code, "msg": self.msg or BINANCE_MESSAGES.get(self.code, "Error.")}, {}
        if self.kind is FaultKind.SERVER_ERROR:
            return 500, "Internal Server Error", {}
        if self.kind is FaultKind.UNAVAILABLE:
            return 503, "Service Unavailable", {}
        return None

    def klines_json(self, block: CandleBlock, end_ms: int | None) -> str:
        """The klines body for ``block`` (the page the request asked for, ``end_ms`` its ``endTime``)
        as this fault changes it; the unchanged page for faults that do not touch klines."""
        if self.kind is FaultKind.MISSING_KLINES:
            return block.take(self.keep_mask(block.open_ms)).to_json()
        if self.kind is FaultKind.EMPTY_KLINES:
            return "[]"
        if self.kind is FaultKind.PAST_END and len(block):
            rows = json.loads(block.take(slice(0, self.keep_rows)).to_json())
            tf = block.tf_ms
            beyond = (int(block.open_ms[-1]) if end_ms is None else end_ms) // tf * tf + tf
            last = json.loads(block.take(slice(len(block) - 1, len(block))).to_json())[0]
            rows.append([beyond, *last[1:6], beyond + tf - 1, *last[7:]])
            return json.dumps(rows, separators=(",", ":"))
        if self.kind is FaultKind.BAD_CANDLE and len(block):
            rows = json.loads(block.to_json())
            targets = set(self.drop_open_ms) or {int(block.open_ms[len(block) // 2])}
            out: list[list[object]] = []
            for row in rows:
                out.append(row)
                if row[0] in targets:
                    out.extend(self._spoil(row, block.tf_ms))
            return json.dumps(out, separators=(",", ":"))
        return block.to_json()

    def _spoil(self, row: list[object], tf_ms: int) -> list[list[object]]:
        """Spoil ``row`` in place as :attr:`corruption` says; return rows to insert after it."""
        kind = self.corruption
        if kind is Corruption.NAN:
            row[4] = "NaN"
        elif kind is Corruption.NULL:
            row[4] = None
        elif kind is Corruption.TEXT:
            row[4] = "n/a"
        elif kind is Corruption.HIGH_BELOW_LOW:
            row[2], row[3] = row[3], row[2]
        elif kind is Corruption.NEGATIVE:
            row[3] = "-1.00000000"
        elif kind is Corruption.OFF_GRID:
            row[0] = int(str(row[0])) + tf_ms // 2
        elif kind is Corruption.DUPLICATE:
            copy = list(row)
            copy[5] = f"{float(str(row[5])) * 1.01 + 1:.8f}"
            return [copy]
        elif kind is Corruption.REPEAT:
            return [list(row)]
        return []

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

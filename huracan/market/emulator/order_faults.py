"""Faults on the emulator's signed (account and order) endpoints, for testing an order path's safety.

``emulator.trading.inject(OrderFault(OrderFaultKind.ACCEPTED_THEN_LOST))`` makes the next order creation
succeed on the exchange while the client never gets the answer. A fault applies to the next ``times``
authenticated requests of its ``call`` (and ``symbol`` / ``client_order_id``, when given); faults are used
in the order injected, a request takes at most one. These are separate from the transport faults of
:mod:`huracan.market.emulator.faults` (which match by path, any method) because they depend on what the
request does on the exchange.

What each kind does, and what the client from ``huracan.market.exchange.build_exchange`` raises:

================== ============================================================= ===========================
kind               behaviour                                                     ccxt exception
================== ============================================================= ===========================
ACCEPTED_THEN_LOST the call is carried out (the order is created or cancelled),  ``NetworkError``;
                   then, after ``delay_s`` (0: at once), the connection is       ``RequestTimeout`` when
                   closed without an answer                                      ``delay_s`` > the timeout
SERVER_ERROR       HTTP ``status`` (500, 502, 503 or 504) with a plain-text      ``ExchangeNotAvailable``
                   body, before the call is carried out: nothing changes         (504: ``RequestTimeout``)
RATE_LIMIT         HTTP 429, ``Retry-After: <retry_after_s>``, body -1015 "Too   ``DDoSProtection``
                   many new orders...", before the call: nothing changes
SLOW               the call is carried out, the answer is sent ``delay_s`` late  ``RequestTimeout`` when
                                                                                 ``delay_s`` > the timeout
LOOKUP_DENIED      ``GET /api/v3/order`` of an order that exists answers -2013   ``OrderNotFound``
                   "Order does not exist." (Binance does this for seconds to
                   minutes after accepting an order); only lookups of existing
                   orders use the fault up
================== ============================================================= ===========================
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from enum import StrEnum

logger = logging.getLogger(__name__)


class OrderCall(StrEnum):
    """The signed calls a fault can target (HTTP method and path)."""

    CREATE = "create"  # POST /api/v3/order
    CANCEL = "cancel"  # DELETE /api/v3/order
    LOOKUP = "lookup"  # GET /api/v3/order
    OPEN_ORDERS = "open_orders"  # GET /api/v3/openOrders
    ALL_ORDERS = "all_orders"  # GET /api/v3/allOrders
    MY_TRADES = "my_trades"  # GET /api/v3/myTrades
    ACCOUNT = "account"  # GET /api/v3/account
    CURRENCIES = "currencies"  # GET /sapi/v1/capital/config/getall


class OrderFaultKind(StrEnum):
    """What an order fault does (see the module docstring)."""

    ACCEPTED_THEN_LOST = "accepted_then_lost"
    SERVER_ERROR = "server_error"
    RATE_LIMIT = "rate_limit"
    SLOW = "slow"
    LOOKUP_DENIED = "lookup_denied"


_BEFORE_THE_CALL = frozenset({OrderFaultKind.SERVER_ERROR, OrderFaultKind.RATE_LIMIT})
_SERVER_ERROR_TEXT = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(frozen=True)
class OrderFault:
    """A fault applied to the next ``times`` matching signed requests.

    :param kind: what happens.
    :param times: how many matching requests it applies to, >= 1 (LOOKUP_DENIED: lookups of existing orders).
    :param call: the call it targets; default ``create``, and always ``lookup`` for LOOKUP_DENIED.
    :param symbol: only requests for this market id (e.g. "BTCUSDT"); ``None`` means any.
    :param client_order_id: only requests with this client order id (``newClientOrderId`` of a creation,
        ``origClientOrderId`` of a lookup or cancel, or the found order's client id for LOOKUP_DENIED).
    :param status: SERVER_ERROR: the HTTP status, 500, 502, 503 or 504.
    :param retry_after_s: RATE_LIMIT: the ``Retry-After`` header, seconds.
    :param delay_s: SLOW and ACCEPTED_THEN_LOST: the wait before answering or closing, seconds.
    """

    kind: OrderFaultKind
    times: int = 1
    call: OrderCall = OrderCall.CREATE
    symbol: str | None = None
    client_order_id: str | None = None
    status: int = 503
    retry_after_s: int = 1
    delay_s: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", OrderFaultKind(self.kind))
        object.__setattr__(self, "call", OrderCall(self.call))
        if self.kind is OrderFaultKind.LOOKUP_DENIED:
            object.__setattr__(self, "call", OrderCall.LOOKUP)
        if self.times < 1:
            raise ValueError(f"OrderFault.times must be >= 1, got {self.times}")
        if self.status not in _SERVER_ERROR_TEXT:
            raise ValueError(f"OrderFault.status must be one of {sorted(_SERVER_ERROR_TEXT)}, got {self.status}")
        if self.retry_after_s < 0 or self.delay_s < 0:
            raise ValueError("OrderFault.retry_after_s and delay_s must be >= 0")

    @property
    def before_the_call(self) -> bool:
        """Whether the fault answers instead of carrying the call out."""
        return self.kind in _BEFORE_THE_CALL

    def matches(self, call: OrderCall, symbol: str | None, client_order_id: str | None) -> bool:
        """Whether a request of ``call`` for market id ``symbol`` and ``client_order_id`` is affected."""
        return (
            self.call is call
            and self.symbol in (None, symbol)
            and (self.client_order_id is None or self.client_order_id == client_order_id)
        )

    def answer(self) -> tuple[int, str | dict[str, object], dict[str, str]]:
        """(status, plain text or JSON-able body, headers) of SERVER_ERROR and RATE_LIMIT."""
        if self.kind is OrderFaultKind.RATE_LIMIT:
            body = {"code": -1015, "msg": "Too many new orders; current limit is 100 orders per 10 SECOND."}
            return 429, body, {"Retry-After": str(self.retry_after_s)}
        if self.kind is OrderFaultKind.SERVER_ERROR:
            return self.status, _SERVER_ERROR_TEXT[self.status], {}
        raise ValueError(f"a {self.kind} fault does not replace the answer")


@dataclass
class _Pending:
    fault: OrderFault
    left: int


@dataclass
class OrderFaultInjector:
    """Thread-safe queue of injected order faults."""

    _pending: list[_Pending] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def inject(self, fault: OrderFault) -> None:
        """Apply ``fault`` to the next ``fault.times`` matching requests."""
        with self._lock:
            self._pending.append(_Pending(fault, fault.times))
        logger.info("order fault injected: %s x%d on %s", fault.kind, fault.times, fault.call)

    def take(
        self, call: OrderCall, symbol: str | None, client_order_id: str | None, kinds: frozenset[OrderFaultKind]
    ) -> OrderFault | None:
        """The first pending fault of one of ``kinds`` matching the request, counted as used; else None."""
        with self._lock:
            for pending in self._pending:
                if pending.fault.kind in kinds and pending.fault.matches(call, symbol, client_order_id):
                    pending.left -= 1
                    if pending.left == 0:
                        self._pending.remove(pending)
                    return pending.fault
        return None

    def pending(self) -> list[tuple[OrderFault, int]]:
        """Faults not yet used up, with the number of requests each still applies to."""
        with self._lock:
            return [(p.fault, p.left) for p in self._pending]

    def clear(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._pending.clear()

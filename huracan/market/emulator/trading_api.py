"""The emulator's Binance spot trading endpoints: signed account and order calls, the ticker and the book.

Registered on every :class:`~huracan.market.emulator.server.Emulator` (``emulator.trading``):

============================== ====== ==================================================================
endpoint                       signed ccxt method (binance spot)
============================== ====== ==================================================================
``GET /api/v3/account``        yes    ``fetch_balance`` (``omitZeroBalances``)
``POST /api/v3/order``         yes    ``create_order`` (MARKET, LIMIT GTC/IOC/FOK, LIMIT_MAKER; ``postOnly``)
``GET /api/v3/order``          yes    ``fetch_order`` (by ``orderId`` or ``origClientOrderId``)
``DELETE /api/v3/order``       yes    ``cancel_order``
``GET /api/v3/openOrders``     yes    ``fetch_open_orders`` (with or without a symbol)
``GET /api/v3/allOrders``      yes    ``fetch_orders``, ``fetch_closed_orders``
``GET /api/v3/myTrades``       yes    ``fetch_my_trades``
``GET /sapi/v1/capital/config/getall`` yes ``fetch_currencies`` (``load_markets`` with keys): each asset, no networks
``GET /sapi/v1/margin/allPairs``  yes ``load_markets`` with keys: ``[]`` (no margin trading)
``GET /sapi/v1/margin/isolated/allPairs`` yes ``load_markets`` with keys: ``[]``
``GET /api/v3/ticker/24hr``    no     ``fetch_ticker``, ``fetch_tickers``
``GET /api/v3/ticker/bookTicker`` no  ``fetch_bids_asks``
``GET /api/v3/ticker/price``   no     ``fetch_last_prices``
``GET /api/v3/depth``          no     ``fetch_order_book``
============================== ====== ==================================================================

Signing is :mod:`~huracan.market.emulator.signing`; trading (accounts, prices, matching, fees) is
:mod:`~huracan.market.emulator.orders`; order faults are :mod:`~huracan.market.emulator.order_faults`.
Every signed request first matches resting orders up to its clock. Parameter errors answer as Binance:
-1102 a mandatory parameter missing, -1100 illegal characters, -1111 more than 8 decimals, -1106 a
parameter that does not apply (``price`` of a market order, ``timeInForce`` of a LIMIT_MAKER, ``stopPrice``,
``icebergQty``, ``trailingDelta``: not supported), -1115/-1116/-1117 an invalid time in force, order type
or side, -1121 an unknown symbol, -2013 "Order does not exist." for a lookup, -2011 "Unknown order sent."
for a cancel of an order that is not open.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from huracan.market.emulator.order_faults import OrderCall, OrderFault, OrderFaultInjector, OrderFaultKind
from huracan.market.emulator.order_json import (
    account_json,
    ack_json,
    cancel_json,
    coin_json,
    full_json,
    order_json,
    result_json,
    trade_json,
)
from huracan.market.emulator.order_model import NewOrder, OrderType, Side, TimeInForce
from huracan.market.emulator.orders import OrderEngine, TradingConfig
from huracan.market.emulator.prices import PriceBook, Quote
from huracan.market.emulator.series import MarketData, market_id
from huracan.market.emulator.server import (
    ApiError,
    DropConnection,
    Handler,
    PlainText,
    Request,
    Response,
    _int_param,
)
from huracan.market.emulator.signing import Signer
from huracan.timeframes import DAY_MS, Timeframe

DEFAULT_LIMIT, MAX_LIMIT = 500, 1000
DEPTH_DEFAULT_LIMIT, DEPTH_MAX_LIMIT = 100, 5000
_DECIMAL = re.compile(r"[0-9]{1,20}(\.[0-9]{1,20})?")
_CLIENT_ID = re.compile(r"[.A-Z:/a-z0-9_-]{1,36}")
_UNSUPPORTED = ("stopPrice", "icebergQty", "trailingDelta")
_TRANSPORT_KINDS = frozenset(set(OrderFaultKind) - {OrderFaultKind.LOOKUP_DENIED})
_DENIED = frozenset({OrderFaultKind.LOOKUP_DENIED})

SignedHandler = Callable[[Request, str], Response]


def _missing(name: str) -> ApiError:
    return ApiError(400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def _not_required(name: str) -> ApiError:
    return ApiError(400, -1106, f"Parameter '{name}' sent when not required.")


def _decimal(params: Mapping[str, str], name: str) -> Decimal | None:
    """A decimal parameter (None when absent); Binance's -1100 / -1111 when malformed or too precise."""
    text = params.get(name)
    if text is None or text == "":
        return None
    if not _DECIMAL.fullmatch(text):
        raise ApiError(
            400,
            -1100,
            f"Illegal characters found in parameter '{name}'; legal range is '^([0-9]{{1,20}})(\\.[0-9]{{1,20}})?$'.",
        )
    value = Decimal(text)
    if value != value.quantize(Decimal("1e-8")):
        raise ApiError(400, -1111, "Precision is over the maximum defined for this asset.")
    return value


def _choice(params: Mapping[str, str], name: str, kind: Any, code: int, msg: str) -> Any:
    text = params.get(name)
    if not text:
        raise _missing(name)
    try:
        return kind(text)
    except ValueError:
        raise ApiError(400, code, msg) from None


def _client_id(params: Mapping[str, str], name: str) -> str | None:
    text = params.get(name)
    if text is None or text == "":
        return None
    if not _CLIENT_ID.fullmatch(text):
        raise ApiError(
            400,
            -1100,
            f"Illegal characters found in parameter '{name}'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{{1,36}}$'.",
        )
    return text


def _limit(params: Mapping[str, str], default: int, maximum: int) -> int:
    limit = _int_param(params, "limit")
    limit = default if limit is None else limit
    if not 1 <= limit <= maximum:
        raise ApiError(400, -1130, "Data sent for parameter 'limit' is not valid.")
    return limit


class TradingApi:
    """The trading endpoints and the state behind them (see the module docstring).

    :param market: the emulator's candle sources.
    :param config: accounts, fees, spread, trading timeframe (default :class:`TradingConfig`).
    :param csv_timeframes: timeframe names of the CSV files per unified symbol.
    :param stopping: set when the emulator stops; wakes SLOW and ACCEPTED_THEN_LOST waits.
    """

    def __init__(
        self,
        market: MarketData,
        config: TradingConfig | None,
        csv_timeframes: Mapping[str, list[str]],
        stopping: threading.Event,
    ) -> None:
        self.config = config or TradingConfig()
        self.market = market
        self.prices = PriceBook(market, Timeframe.parse(self.config.timeframe), csv_timeframes, self.config.spread_frac)
        self.engine = OrderEngine(self.prices, self.config)
        self.signer = Signer(self.config.api_keys)
        self.faults = OrderFaultInjector()
        self._stopping = stopping

    def register(self, add_route: Callable[[str, str, Handler], None]) -> None:
        """Add every endpoint to the emulator's route table."""
        add_route("GET", "/api/v3/account", self._signed(OrderCall.ACCOUNT, self._account))
        add_route("POST", "/api/v3/order", self._signed(OrderCall.CREATE, self._create))
        add_route("GET", "/api/v3/order", self._signed(OrderCall.LOOKUP, self._lookup))
        add_route("DELETE", "/api/v3/order", self._signed(OrderCall.CANCEL, self._cancel))
        add_route("GET", "/api/v3/openOrders", self._signed(OrderCall.OPEN_ORDERS, self._open_orders))
        add_route("GET", "/api/v3/allOrders", self._signed(OrderCall.ALL_ORDERS, self._all_orders))
        add_route("GET", "/api/v3/myTrades", self._signed(OrderCall.MY_TRADES, self._my_trades))
        add_route("GET", "/sapi/v1/capital/config/getall", self._signed(OrderCall.CURRENCIES, self._currencies))
        for path in ("/sapi/v1/margin/allPairs", "/sapi/v1/margin/isolated/allPairs"):
            add_route("GET", path, self._signed(OrderCall.CURRENCIES, lambda request, api_key: Response(200, [])))
        add_route("GET", "/api/v3/ticker/24hr", self._tickers(self.prices.ticker_24h))
        add_route("GET", "/api/v3/ticker/bookTicker", self._tickers(self._book_ticker))
        add_route("GET", "/api/v3/ticker/price", self._tickers(self._price_ticker))
        add_route("GET", "/api/v3/depth", self._depth)

    # --- faults --------------------------------------------------------------------------------------------

    def inject(self, fault: OrderFault) -> None:
        """Apply ``fault`` to the next ``fault.times`` matching signed requests (thread-safe)."""
        self.faults.inject(fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    def pending_faults(self) -> list[tuple[OrderFault, int]]:
        return self.faults.pending()

    # --- plumbing ------------------------------------------------------------------------------------------

    def _signed(self, call: OrderCall, handler: SignedHandler) -> Handler:
        """``handler`` behind the signature check, matching up to the request's clock and the order faults."""

        def serve(request: Request) -> Response:
            api_key = self.signer.authenticate(request)
            self.engine.match(request.clock_ms)
            params = request.params
            client_id = params.get("newClientOrderId" if call is OrderCall.CREATE else "origClientOrderId")
            fault = self.faults.take(call, params.get("symbol"), client_id, _TRANSPORT_KINDS)
            if fault is not None and fault.before_the_call:
                status, body, headers = fault.answer()
                return Response(status, PlainText(body) if isinstance(body, str) else body, headers)
            try:
                with self.engine.lock:  # the answer shows one consistent state
                    response = handler(request, api_key)
            except ApiError:
                self._after_the_call(fault)
                raise
            self._after_the_call(fault)
            return response

        return serve

    def _after_the_call(self, fault: OrderFault | None) -> None:
        if fault is None:
            return
        self._stopping.wait(fault.delay_s)
        if fault.kind is OrderFaultKind.ACCEPTED_THEN_LOST:
            raise DropConnection

    def _symbol(self, params: Mapping[str, str]) -> str:
        """The unified symbol of the mandatory ``symbol`` parameter; -1102 when absent, -1121 when unknown."""
        symbol = self._optional_symbol(params)
        if symbol is None:
            raise _missing("symbol")
        return symbol

    def _optional_symbol(self, params: Mapping[str, str]) -> str | None:
        """The unified symbol of the ``symbol`` parameter, None when absent; -1121 when unknown."""
        market = params.get("symbol")
        if not market:
            return None
        symbol = self.market.symbols.get(market)
        if symbol is None:
            raise ApiError(400, -1121, "Invalid symbol.")
        return symbol

    def _quote(self, symbol: str, clock_ms: int) -> Quote:
        quote = self.prices.quote(symbol, clock_ms)
        if quote is None:
            raise ApiError(400, -1013, "Market is closed.")
        return quote

    # --- signed endpoints ----------------------------------------------------------------------------------

    def _account(self, request: Request, api_key: str) -> Response:
        omit = request.params.get("omitZeroBalances", "false").lower() == "true"
        account = self.engine.account(api_key)
        return Response(200, account_json(account, self.engine.fee_bips, self.engine.fee_fracs, omit))

    def _currencies(self, request: Request, api_key: str) -> Response:
        account = self.engine.account(api_key)
        return Response(200, [coin_json(asset, b) for asset, b in sorted(account.balances.items())])

    def _create(self, request: Request, api_key: str) -> Response:
        params = request.params
        symbol = self._symbol(params)
        side = _choice(params, "side", Side, -1117, "Invalid side.")
        order_type = _choice(params, "type", OrderType, -1116, "Invalid orderType.")
        for name in _UNSUPPORTED:
            if params.get(name):
                raise _not_required(name)
        qty, quote_qty, price = (_decimal(params, n) for n in ("quantity", "quoteOrderQty", "price"))
        tif = TimeInForce.GTC
        if order_type is OrderType.LIMIT:
            tif = _choice(params, "timeInForce", TimeInForce, -1115, "Invalid timeInForce.")
        elif params.get("timeInForce"):
            raise _not_required("timeInForce")
        if order_type is OrderType.MARKET:
            if price is not None:
                raise _not_required("price")
            if qty is None and quote_qty is None:
                raise ApiError(
                    400, -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"
                )
            if qty is not None and quote_qty is not None:
                raise _not_required("quoteOrderQty")
        else:
            if quote_qty is not None:
                raise _not_required("quoteOrderQty")
            for name, value in (("price", price), ("quantity", qty)):
                if value is None:
                    raise _missing(name)
        client_id = _client_id(params, "newClientOrderId")
        answer = params.get("newOrderRespType") or ("ACK" if order_type is OrderType.LIMIT_MAKER else "FULL")
        if answer not in ("ACK", "RESULT", "FULL"):
            raise ApiError(400, -1177, "Invalid newOrderRespType.")
        new = NewOrder(symbol, side, order_type, tif, qty, quote_qty, price, client_id)
        order, trades = self.engine.place(api_key, new, request.clock_ms)
        if answer == "ACK":
            return Response(200, ack_json(order))
        return Response(200, result_json(order) if answer == "RESULT" else full_json(order, trades))

    def _order_ref(self, params: Mapping[str, str]) -> tuple[int | None, str | None]:
        order_id, client_id = _int_param(params, "orderId"), _client_id(params, "origClientOrderId")
        if order_id is None and client_id is None:
            raise ApiError(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
        return order_id, client_id

    def _lookup(self, request: Request, api_key: str) -> Response:
        symbol = self._symbol(request.params)
        order = self.engine.find(api_key, symbol, *self._order_ref(request.params))
        if order is None or self.faults.take(
            OrderCall.LOOKUP, request.params["symbol"], order.client_order_id, _DENIED
        ):
            raise ApiError(400, -2013, "Order does not exist.")
        return Response(200, order_json(order))

    def _cancel(self, request: Request, api_key: str) -> Response:
        params = request.params
        symbol = self._symbol(params)
        order_id, client_id = self._order_ref(params)
        order = self.engine.cancel(api_key, symbol, order_id, client_id, request.clock_ms)
        cancel_id = _client_id(params, "newClientOrderId") or f"emulatorcancel{order.order_id:014d}"
        return Response(200, cancel_json(order, cancel_id, request.clock_ms))

    def _open_orders(self, request: Request, api_key: str) -> Response:
        symbol = self._optional_symbol(request.params)
        return Response(200, [order_json(o) for o in self.engine.orders(api_key, symbol, open_only=True)])

    def _all_orders(self, request: Request, api_key: str) -> Response:
        params = request.params
        symbol = self._symbol(params)
        from_id = _int_param(params, "orderId")
        start_ms, end_ms = _int_param(params, "startTime"), _int_param(params, "endTime")
        orders = [
            o
            for o in self.engine.orders(api_key, symbol)
            if (from_id is None or o.order_id >= from_id)
            and (start_ms is None or o.time_ms >= start_ms)
            and (end_ms is None or o.time_ms <= end_ms)
        ]
        limit = _limit(params, DEFAULT_LIMIT, MAX_LIMIT)
        chosen = orders[:limit] if from_id is not None or start_ms is not None else orders[-limit:]
        return Response(200, [order_json(o) for o in chosen])

    def _my_trades(self, request: Request, api_key: str) -> Response:
        params = request.params
        symbol = self._symbol(params)
        order_id, from_id = _int_param(params, "orderId"), _int_param(params, "fromId")
        start_ms, end_ms = _int_param(params, "startTime"), _int_param(params, "endTime")
        if start_ms is not None and end_ms is not None and end_ms - start_ms > DAY_MS:
            raise ApiError(400, -1127, "More than 24 hours between startTime and endTime.")
        trades = [
            t
            for t in self.engine.trades(api_key, symbol)
            if (order_id is None or t.order_id == order_id)
            and (from_id is None or t.trade_id >= from_id)
            and (start_ms is None or t.time_ms >= start_ms)
            and (end_ms is None or t.time_ms <= end_ms)
        ]
        limit = _limit(params, DEFAULT_LIMIT, MAX_LIMIT)
        chosen = trades[:limit] if from_id is not None or start_ms is not None else trades[-limit:]
        return Response(200, [trade_json(t) for t in chosen])

    # --- public endpoints ----------------------------------------------------------------------------------

    def _book_ticker(self, symbol: str, quote: Quote) -> dict[str, Any]:
        qty = f"{quote.level_qty:.8f}"
        return {
            "symbol": market_id(symbol),
            "bidPrice": f"{quote.bid:.8f}",
            "bidQty": qty,
            "askPrice": f"{quote.ask:.8f}",
            "askQty": qty,
        }

    def _price_ticker(self, symbol: str, quote: Quote) -> dict[str, Any]:
        return {"symbol": market_id(symbol), "price": f"{quote.reference:.8f}"}

    def _tickers(self, body: Callable[[str, Quote], dict[str, Any]]) -> Handler:
        """A ticker endpoint: one object for ``symbol``, a list for ``symbols`` (a JSON array) or for all;
        symbols without a price yet are left out of lists."""

        def serve(request: Request) -> Response:
            params = request.params
            if params.get("symbol"):
                symbol = self._symbol(params)
                return Response(200, body(symbol, self._quote(symbol, request.clock_ms)))
            if params.get("symbols"):
                try:
                    wanted = json.loads(params["symbols"])
                    if not isinstance(wanted, list) or not all(isinstance(m, str) for m in wanted):
                        raise ValueError(wanted)
                except ValueError:
                    raise ApiError(400, -1100, "Illegal characters found in parameter 'symbols'.") from None
                if any(m not in self.market.symbols for m in wanted):
                    raise ApiError(400, -1121, "Invalid symbol.")
                symbols = [self.market.symbols[m] for m in wanted]
            else:
                symbols = list(self.market.symbols.values())
            quotes = [(s, self.prices.quote(s, request.clock_ms)) for s in symbols]
            return Response(200, [body(s, q) for s, q in quotes if q is not None])

        return serve

    def _depth(self, request: Request) -> Response:
        symbol = self._symbol(request.params)
        limit = _limit(request.params, DEPTH_DEFAULT_LIMIT, DEPTH_MAX_LIMIT)
        return Response(200, self.prices.depth(self._quote(symbol, request.clock_ms), symbol, limit))

"""The Binance-compatible loopback emulator and the simulated market.

Start one in a test and point ccxt at it::

    with Emulator(seed=0, symbols=("BTC/USDT",), clock_ms=...) as emu:
        exchange = build_exchange(Settings(exchange_url=emu.url))
        exchange.fetch_ohlcv("BTC/USDT", "1h", since=...)

Trade on it with the test key pair (``DEFAULT_API_KEY``/``DEFAULT_API_SECRET``)::

    exchange.apiKey, exchange.secret = DEFAULT_API_KEY, DEFAULT_API_SECRET
    exchange.create_order("BTC/USDT", "limit", "buy", 0.01, price, {"postOnly": True})
    emu.advance_clock(timeframe_ms)  # resting orders fill against the candles the clock passes
    emu.trading.inject(OrderFault(OrderFaultKind.ACCEPTED_THEN_LOST))

Modules: ``server`` (HTTP server, routes, request log, clock), ``series`` (candle sources and paging),
``simulated`` (the simulated market), ``faults`` (transport fault injection); the trading half:
``trading_api`` (the signed and ticker endpoints), ``signing`` (API keys, HMAC, timestamps), ``orders``
(the venue: placing, filling, matching, :class:`TradingConfig`), ``order_model`` (orders, trades,
accounts, the status table), ``prices`` (reference price, bid/ask, book),
``filters`` (exchange filters), ``order_json`` (Binance's JSON shapes), ``order_faults`` (faults on order calls).
"""

from huracan.market.emulator.faults import Corruption, Fault, FaultKind
from huracan.market.emulator.order_faults import OrderCall, OrderFault, OrderFaultKind
from huracan.market.emulator.orders import TradingConfig
from huracan.market.emulator.series import CandleBlock, CandleSeries, CsvSeries, MarketData, market_id
from huracan.market.emulator.server import (
    SIM_START_MS,
    ApiError,
    DropConnection,
    Emulator,
    Handler,
    PlainText,
    RawJson,
    Request,
    RequestRecord,
    Response,
)
from huracan.market.emulator.signing import DEFAULT_API_KEY, DEFAULT_API_SECRET
from huracan.market.emulator.simulated import (
    MARKET_PRESETS,
    SimulatedSeries,
    SimulationParams,
    default_start_price,
)

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_API_SECRET",
    "MARKET_PRESETS",
    "SIM_START_MS",
    "ApiError",
    "CandleBlock",
    "CandleSeries",
    "Corruption",
    "CsvSeries",
    "DropConnection",
    "Emulator",
    "Fault",
    "FaultKind",
    "Handler",
    "MarketData",
    "OrderCall",
    "OrderFault",
    "OrderFaultKind",
    "PlainText",
    "RawJson",
    "Request",
    "RequestRecord",
    "Response",
    "SimulatedSeries",
    "SimulationParams",
    "TradingConfig",
    "default_start_price",
    "market_id",
]

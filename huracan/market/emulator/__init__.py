"""The Binance-compatible loopback emulator and the simulated market.

Start one in a test and point ccxt at it::

    with Emulator(seed=0, symbols=("BTC/USDT",), clock_ms=...) as emu:
        exchange = build_exchange(Settings(exchange_url=emu.url))
        exchange.fetch_ohlcv("BTC/USDT", "1h", since=...)

Modules: ``server`` (HTTP server, routes, request log, clock), ``series`` (candle sources and paging),
``simulated`` (the simulated market), ``faults`` (fault injection).
"""

from huracan.market.emulator.faults import Corruption, Fault, FaultKind
from huracan.market.emulator.series import CandleBlock, CandleSeries, CsvSeries, MarketData, market_id
from huracan.market.emulator.server import (
    SIM_START_MS,
    ApiError,
    Emulator,
    Handler,
    RawJson,
    Request,
    RequestRecord,
    Response,
)
from huracan.market.emulator.simulated import (
    MARKET_PRESETS,
    SimulatedSeries,
    SimulationParams,
    default_start_price,
)

__all__ = [
    "MARKET_PRESETS",
    "SIM_START_MS",
    "ApiError",
    "CandleBlock",
    "CandleSeries",
    "Corruption",
    "CsvSeries",
    "Emulator",
    "Fault",
    "FaultKind",
    "Handler",
    "MarketData",
    "RawJson",
    "Request",
    "RequestRecord",
    "Response",
    "SimulatedSeries",
    "SimulationParams",
    "default_start_price",
    "market_id",
]

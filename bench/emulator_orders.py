"""Emulator order benchmark: signed order round trips through real ccxt, and the matching engine.

Prints (1) ccxt round trips per second on one keep-alive connection for ``create_order`` (market),
``fetch_order`` and ``fetch_balance``, each signed and checked, beside the same calls with Nagle's
algorithm left on in the server (the emulator's setting before TCP_NODELAY; measured in this run), and
(2) order x candle matching steps per second for resting limit orders as the clock advances.
Targets: >= 200 signed order round trips/s (a broker test of a few dozen calls stays well under a
second); >= 100,000 matching steps/s.

ccxt's client-side throttle is off (it would measure Binance's rate limits, not the emulator).
Usage: ``.venv/bin/python bench/emulator_orders.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

from huracan.config import Settings
from huracan.market.emulator import DEFAULT_API_KEY, DEFAULT_API_SECRET, Emulator, TradingConfig
from huracan.market.emulator.order_model import NewOrder, OrderType, Side, TimeInForce
from huracan.market.emulator.server import _HttpHandler
from huracan.market.exchange import build_exchange

HOUR_MS = 3_600_000
CLOCK = 1_640_995_200_000 + 1000 * HOUR_MS
BTC = "BTC/USDT"
CALLS = 200


def rate(call: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        call()
    return n / (time.perf_counter() - start)


def round_trips(nodelay: bool, n: int) -> dict[str, float]:
    _HttpHandler.disable_nagle_algorithm = nodelay
    config = TradingConfig(timeframe="1h", balances={"USDT": 1e9})
    with Emulator(seed=1, symbols=(BTC,), clock_ms=CLOCK, trading=config) as emu:
        exchange = build_exchange(Settings(exchange_url=emu.url))
        exchange.enableRateLimit = False
        exchange.apiKey, exchange.secret = DEFAULT_API_KEY, DEFAULT_API_SECRET
        exchange.load_markets()
        order = exchange.create_order(BTC, "market", "buy", 0.001)
        return {
            "create_order": rate(lambda: exchange.create_order(BTC, "market", "buy", 0.001), n),
            "fetch_order": rate(lambda: exchange.fetch_order(order["id"], BTC), n),
            "fetch_balance": rate(exchange.fetch_balance, n),
        }


def matching(orders: int, candles: int) -> float:
    config = TradingConfig(timeframe="1h", balances={"USDT": 1e9})
    emu = Emulator(seed=1, symbols=(BTC,), clock_ms=CLOCK, trading=config)  # not started: no HTTP
    engine = emu.trading.engine
    quote = engine.prices.quote(BTC, CLOCK)
    assert quote is not None
    for i in range(orders):  # far below the market: they rest for the whole run
        price = (quote.bid * Decimal("0.5")).quantize(Decimal("0.01")) - i * Decimal("0.01")
        new = NewOrder(BTC, Side.BUY, OrderType.LIMIT, TimeInForce.GTC, Decimal("0.001"), None, price, None)
        engine.place(DEFAULT_API_KEY, new, CLOCK)
    start = time.perf_counter()
    emu.advance_clock(candles * HOUR_MS)
    return orders * candles / (time.perf_counter() - start)


def main() -> None:
    fast, slow = round_trips(True, CALLS), round_trips(False, 20)
    _HttpHandler.disable_nagle_algorithm = True
    print(f"signed round trips/s through ccxt ({CALLS} calls each; Nagle on: 20 calls):")
    for name, value in fast.items():
        print(f"  {name:14s} {value:8.0f}/s   Nagle on: {slow[name]:6.0f}/s   ratio {value / slow[name]:5.1f}x")
    print(f"  target: create_order >= 200/s: {'met' if fast['create_order'] >= 200 else 'MISSED'}")
    steps = matching(orders=190, candles=2000)
    print(f"matching: {steps:,.0f} order x candle steps/s (190 resting orders, 2,000 1h candles)")
    print(f"  target >= 100,000/s: {'met' if steps >= 100_000 else 'MISSED'}")


if __name__ == "__main__":
    main()

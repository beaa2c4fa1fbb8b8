"""Fixtures for the emulator's trading tests: an emulator trading on 1h candles and real ccxt clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import ccxt
import pytest

from huracan.config import Settings
from huracan.market.emulator import Emulator
from huracan.market.emulator.orders import TradingConfig
from huracan.market.emulator.signing import DEFAULT_API_KEY, DEFAULT_API_SECRET
from huracan.market.exchange import build_exchange

HOUR_MS = 3_600_000
T0 = 1_640_995_200_000  # 2022-01-01T00:00Z
TRADE_CLOCK = T0 + 1000 * HOUR_MS  # a 1h candle boundary: the decision time of a strategy on 1h candles


@pytest.fixture
def trading_emu() -> Iterator[Emulator]:
    """An emulator with BTC/USDT and ETH/USDT trading on 1h candles, its clock frozen at TRADE_CLOCK."""
    config = TradingConfig(timeframe="1h")
    with Emulator(seed=1, symbols=("BTC/USDT", "ETH/USDT"), clock_ms=TRADE_CLOCK, trading=config) as emulator:
        yield emulator


Connect = Callable[..., ccxt.Exchange]


@pytest.fixture
def connect(tmp_path: Path) -> Connect:
    """``connect(emulator, api_key=..., secret=..., timeout_ms=...)``: a ccxt client built the production way
    (``build_exchange``), given the keys (default: the emulator's test pair), its throttle off."""

    def make(
        emulator: Emulator, api_key: str = DEFAULT_API_KEY, secret: str = DEFAULT_API_SECRET, timeout_ms: int = 2000
    ) -> ccxt.Exchange:
        exchange = build_exchange(Settings(exchange_url=emulator.url, home=tmp_path, exchange_timeout_ms=timeout_ms))
        exchange.apiKey, exchange.secret = api_key, secret
        exchange.options["warnOnFetchOpenOrdersWithoutSymbol"] = False
        exchange.enableRateLimit = False  # ccxt's client-side throttle (weight 20 per balance call) only slows tests
        return exchange

    return make


@pytest.fixture
def trader(trading_emu: Emulator, connect: Connect) -> ccxt.Exchange:
    """A ccxt client of the default test account on ``trading_emu``, markets loaded."""
    exchange = connect(trading_emu)
    exchange.load_markets()
    return exchange


def raw_balances(exchange: ccxt.Exchange) -> dict[str, tuple[Decimal, Decimal]]:
    """(free, locked) per asset, exactly as the exchange sent them."""
    info = exchange.fetch_balance()["info"]
    return {b["asset"]: (Decimal(b["free"]), Decimal(b["locked"])) for b in info["balances"]}

"""The series key: one spelling of every symbol, checked where the key is made (issue 9, finding 6)."""

from __future__ import annotations

import pytest

from huracan.errors import ConfigError
from huracan.series import SeriesKey, normalize_symbol, symbol_slug


@pytest.mark.parametrize(
    ("text", "symbol"),
    [
        ("BTC/USDT", "BTC/USDT"),
        (" btc/usdt ", "BTC/USDT"),
        ("1000SHIB/USDT", "1000SHIB/USDT"),
        ("BTC/USDT:USDT", "BTC/USDT:USDT"),
    ],
)
def test_symbols_are_normalised(text: str, symbol: str) -> None:
    assert normalize_symbol(text) == symbol
    assert SeriesKey("binance", text, "1h") == SeriesKey("binance", symbol, "1h")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("BTCUSDT", "not a unified symbol"),
        ("BTC /USDT", "not a unified symbol"),
        ("", "not a unified symbol"),
        ("BTC/" + "X" * 40, "at most 32"),
    ],
)
def test_bad_symbols_are_named(text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        SeriesKey("binance", text, "1h")


def test_exchange_and_timeframe_must_fit_the_store() -> None:
    with pytest.raises(ConfigError, match="not a ccxt exchange id"):
        SeriesKey("Binance Spot", "BTC/USDT", "1h")
    with pytest.raises(ConfigError, match="not a timeframe name"):
        SeriesKey("binance", "BTC/USDT", "")


def test_slug() -> None:
    assert symbol_slug("BTC/USDT") == "BTC-USDT" and symbol_slug("BTC/USDT:USDT") == "BTC-USDT-USDT"

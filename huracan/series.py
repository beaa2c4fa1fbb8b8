"""What names a candle series, in one light module (no pandas, no SQLAlchemy, no ccxt).

- :class:`SeriesKey`: (exchange id, unified symbol, timeframe name). Its constructor validates and
  normalises the symbol (:func:`normalize_symbol`), so every command, the store and the sync agree on
  one spelling: ``import-csv -s "btc/usdt "`` files its candles under ``BTC/USDT``, never a second series.
- :func:`symbol_slug`: the symbol made safe for file names, URIs and MLflow names.
- :data:`CANDLE_COLUMNS`: the candle frame's value columns, in order.
- :class:`Gap` and :class:`SeriesBounds`: missing and stored open-time ranges of a series (ms UTC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from huracan.errors import ConfigError

#: Value columns of a candle frame, in order: prices in quote currency, volume in base asset.
CANDLE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")

#: Longest symbol, exchange id and timeframe name the store's key columns hold, characters.
MAX_SYMBOL_CHARS, MAX_EXCHANGE_CHARS, MAX_TIMEFRAME_CHARS = 32, 32, 8

# BASE/QUOTE, optionally :SETTLE and a -suffix (ccxt's unified form of derivatives), upper-case.
_SYMBOL = re.compile(r"[A-Z0-9][A-Z0-9._]*/[A-Z0-9][A-Z0-9._]*(:[A-Z0-9][A-Z0-9._]*(-[A-Z0-9._-]+)?)?")
_EXCHANGE = re.compile(r"[a-z][a-z0-9_]*")
_UNSAFE_IN_NAMES = re.compile(r"[^A-Za-z0-9_.-]+")


def normalize_symbol(text: str) -> str:
    """The unified spelling of ``text``: surrounding blanks removed, upper case (``" btc/usdt"`` ->
    ``"BTC/USDT"``). Raises :class:`ConfigError` naming the text unless it is ``BASE/QUOTE`` (letters,
    digits, ``.``/``_``; ccxt's ``:SETTLE`` suffix allowed) of at most :data:`MAX_SYMBOL_CHARS` characters.
    """
    symbol = str(text).strip().upper()
    if not _SYMBOL.fullmatch(symbol):
        raise ConfigError(f"symbol {text!r} is not a unified symbol like BTC/USDT (BASE/QUOTE, letters and digits)")
    if len(symbol) > MAX_SYMBOL_CHARS:
        raise ConfigError(f"symbol {text!r} is {len(symbol)} characters long; at most {MAX_SYMBOL_CHARS} fit the store")
    return symbol


def symbol_slug(symbol: str) -> str:
    """``symbol`` made safe for file names, URIs and MLflow names: ``BTC/USDT`` -> ``BTC-USDT``."""
    return _UNSAFE_IN_NAMES.sub("-", symbol.strip()).strip("-")


@dataclass(frozen=True)
class SeriesKey:
    """One candle series: exchange id, unified symbol (``BTC/USDT``) and timeframe name (``1h``).

    The symbol is normalised on construction (see :func:`normalize_symbol`); a bad symbol, an exchange
    id that is not a lower-case ccxt-style id, or a value too long for the store raises
    :class:`ConfigError` naming it.
    """

    exchange: str
    symbol: str
    timeframe: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "symbol", normalize_symbol(self.symbol))
        if not _EXCHANGE.fullmatch(self.exchange) or len(self.exchange) > MAX_EXCHANGE_CHARS:
            raise ConfigError(
                f"exchange {self.exchange!r} is not a ccxt exchange id (lower case, at most {MAX_EXCHANGE_CHARS} chars)"
            )
        if not self.timeframe or len(self.timeframe) > MAX_TIMEFRAME_CHARS:
            raise ConfigError(f"timeframe {self.timeframe!r} is not a timeframe name like 1h")

    def __str__(self) -> str:
        return f"{self.exchange} {self.symbol} {self.timeframe}"


@dataclass(frozen=True)
class SeriesBounds:
    """Open times (ms UTC) of a series' first and last stored candle, and how many are stored."""

    first_ms: int
    last_ms: int
    count: int


@dataclass(frozen=True)
class Gap:
    """Missing candles inside a range: open times ``first_ms..last_ms`` (ms UTC, inclusive)."""

    first_ms: int
    last_ms: int
    missing: int

"""Project errors. Each message names the input at fault and what is wrong with it."""

from __future__ import annotations


class HuracanError(Exception):
    """Base of every error Huracan raises on purpose."""


class ConfigError(HuracanError):
    """A setting or command-line value is invalid."""


class UnknownTimeframeError(ConfigError):
    """A timeframe string is not one Huracan supports."""


class UnknownSymbolError(HuracanError):
    """The exchange does not list the symbol."""


class ExchangeUnavailableError(HuracanError):
    """The exchange kept failing with transient errors after every retry."""


class ExchangeRequestError(HuracanError):
    """The exchange rejected a request in a way retrying cannot fix."""


class CsvFormatError(HuracanError):
    """A candle CSV file is malformed; nothing was imported."""


class NoDataError(HuracanError):
    """Nothing is stored for the requested series or range."""

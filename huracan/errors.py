"""Project errors. Each message names the input at fault and what is wrong with it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from huracan.quality.report import QualityReport


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


class StoreError(HuracanError):
    """The candle store cannot be reached, opened or read (server down, no such database, a corrupt file)."""


class TruncatedDownloadError(HuracanError):
    """A download ended with the last candles of its range missing: the exchange sent nothing more."""


class CsvFormatError(HuracanError):
    """A candle CSV file is malformed; nothing was imported."""


class NoDataError(HuracanError):
    """Nothing is stored for the requested series or range."""


class ReconciliationError(HuracanError):
    """The exchange and the store disagree about a symbol; its book is halted until fixed by hand."""


class LateTickError(HuracanError):
    """A live-mode tick for a candle that is no longer the exchange's latest closed one (a retry or a
    trigger after the next candle closed): nothing is sent; the next tick decides."""


class DataQualityError(HuracanError):
    """Candles failed the data-quality gate (or were never validated); nothing may train or trade on them.

    :param message: what failed and where (check names, observed values, open times).
    :param report: the :class:`huracan.quality.report.QualityReport` behind the failure, or None when
        the failure is a missing or outdated validation record rather than a fresh report.
    """

    def __init__(self, message: str, report: QualityReport | None = None) -> None:
        super().__init__(message)
        self.report = report


class ModelNotFoundError(HuracanError):
    """No registered model, version, alias or training run matches what was asked for."""


class TrainingError(HuracanError):
    """A training request cannot run as given (too little data for the walk-forward split, bad options)."""


class PromotionError(HuracanError):
    """The promotion gate or a rollback cannot run (no challenger, no previous champion to restore)."""


class RiskError(HuracanError):
    """An order intent, an account snapshot or a risk command is invalid as given (the message names the field).

    A valid order the limits do not allow is not an error: it is a recorded DENIED decision.
    """

"""Names Huracan gives things in MLflow: registered models, experiments and aliases (tag, param and metric
keys are in :mod:`huracan.registry.keys`)."""

from __future__ import annotations

from huracan.series import symbol_slug
from huracan.timeframes import Timeframe

CHALLENGER = "challenger"
"""Alias of the latest trained version; it trades only in shadow until the gate promotes it."""
CHAMPION = "champion"
"""Alias of the version that trades."""
PREVIOUS_CHAMPION = "previous_champion"
"""Alias of the champion the current one replaced (what ``huracan promote --rollback`` restores)."""


def model_prefix(symbol: str) -> str:
    """What the registered models of a symbol start with, whatever the timeframe: ``huracan-BTC-USDT-``."""
    return f"huracan-{symbol_slug(symbol)}-"


def model_name(symbol: str, timeframe: str | Timeframe) -> str:
    """The registered model of a symbol and timeframe: ``huracan-BTC-USDT-1d`` for BTC/USDT 1d."""
    tf = timeframe if isinstance(timeframe, Timeframe) else Timeframe.parse(timeframe)
    return model_prefix(symbol) + tf.name


def experiment_name(symbol: str, timeframe: str | Timeframe) -> str:
    """The MLflow experiment holding the training runs of a symbol and timeframe (same as the model)."""
    return model_name(symbol, timeframe)

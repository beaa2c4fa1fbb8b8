"""Names Huracan gives things in MLflow: registered models, experiments, aliases, tags and params."""

from __future__ import annotations

from huracan.series import symbol_slug
from huracan.timeframes import Timeframe

CHALLENGER = "challenger"
"""Alias of the latest trained version; it trades only in shadow until the gate promotes it."""
CHAMPION = "champion"
"""Alias of the version that trades."""
PREVIOUS_CHAMPION = "previous_champion"
"""Alias of the champion the current one replaced (what ``huracan promote --rollback`` restores)."""

# Run tags.
TAG_ROLE = "huracan.role"  # "training" (the parent run of a group) or "seed" (one trained model)
TAG_GROUP = "huracan.group_id"  # shared by the parent run and its seed runs
TAG_SEED = "huracan.seed"
TAG_MODEL_URI = "huracan.model_uri"  # the logged pyfunc model (models:/m-...) of a seed run
TAG_CODE_VERSION = "huracan.code_version"
TAG_SELECTED = "huracan.selected"  # "true" on the seed run whose model was registered

# Model version tags.
VTAG_PREFIX = "huracan."
VTAG_PREVIOUS = "huracan.previous_champion"  # version the champion replaced when promoted
GATE_PREFIX = "gate."

# Metric namespaces.
EVAL_PREFIX = "eval/"
TRAIN_PREFIX = "train/"
BACKTEST_PREFIX = "backtest/"


def model_name(symbol: str, timeframe: str | Timeframe) -> str:
    """The registered model of a symbol and timeframe: ``huracan-BTC-USDT-1d`` for BTC/USDT 1d."""
    tf = timeframe if isinstance(timeframe, Timeframe) else Timeframe.parse(timeframe)
    return f"huracan-{symbol_slug(symbol)}-{tf.name}"


def experiment_name(symbol: str, timeframe: str | Timeframe) -> str:
    """The MLflow experiment holding the training runs of a symbol and timeframe (same as the model)."""
    return model_name(symbol, timeframe)

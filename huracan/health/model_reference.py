"""What the model watch compares the live side with, read once per model version and kept per process:

- the backtest's action frequencies on the model's test window, from the artifact the backtest logs to
  the model's run (:data:`huracan.registry.evaluation.ACTIONS_ARTIFACT`; a version backtested before it
  existed has none, and its action distance is not measured);
- the range (minimum, maximum) of every market feature over the model's training window, built by the one
  observation builder from the store's candles of that window the first time it is asked for, then logged
  to the model's run as the artifact :data:`FEATURE_RANGE_ARTIFACT` so later processes read it back.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from huracan.errors import HuracanError
from huracan.features.catalog import N_MARKET_FEATURES
from huracan.redaction import redact
from huracan.registry.evaluation import ACTIONS_ARTIFACT, decision_rows, load_market_data
from huracan.series import SeriesKey

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from huracan.config import Settings
    from huracan.registry.models import ModelRef

log = logging.getLogger(__name__)

FEATURE_RANGE_ARTIFACT = "health/feature_range.json"
"""``{"low": [77 floats], "high": [77 floats], "start_ms", "end_ms", "rows"}``: the training window's
feature range (decision times in ms UTC, the number of decision rows it spans)."""


@dataclass(frozen=True)
class FeatureRange:
    """Per market feature, its smallest (``low``) and largest (``high``) value over a window of ``rows``."""

    low: np.ndarray
    high: np.ndarray
    rows: int

    def as_json(self, start_ms: int, end_ms: int) -> dict[str, Any]:
        return {
            "low": self.low.tolist(),
            "high": self.high.tolist(),
            "start_ms": start_ms,
            "end_ms": end_ms,
            "rows": self.rows,
        }


_ACTIONS: dict[str, np.ndarray] = {}
_RANGES: dict[str, FeatureRange] = {}
"""Per training run id (a version's run never changes): read or computed once per process."""


def _artifact(client: MlflowClient, run_id: str, path: str) -> dict[str, Any] | None:
    try:
        with tempfile.TemporaryDirectory() as folder:
            local = client.download_artifacts(run_id, path, folder)
            loaded: dict[str, Any] = json.loads(Path(local).read_text())
            return loaded
    except Exception as exc:  # MLflow raises many types for a missing artifact; each means "none logged"
        log.debug("no artifact %s on run %s: %s", path, run_id, redact(str(exc)))
        return None


def backtest_frequencies(client: MlflowClient, ref: ModelRef) -> np.ndarray | None:
    """The fraction of the model's test-window backtest decisions at each level (sums to 1), or None."""
    if ref.run_id not in _ACTIONS:
        logged = _artifact(client, ref.run_id, ACTIONS_ARTIFACT)
        counts = None if logged is None else np.asarray(logged.get("counts", []), dtype=np.float64)
        if counts is None or counts.size == 0 or counts.sum() <= 0:
            return None
        _ACTIONS[ref.run_id] = counts / counts.sum()
    return _ACTIONS[ref.run_id]


def training_range(settings: Settings, client: MlflowClient, ref: ModelRef, key: SeriesKey) -> FeatureRange | None:
    """The market features' range over the training window of ``ref`` on ``key``, or None when the model
    records no training window or its candles are no longer in the store."""
    if ref.run_id in _RANGES:
        return _RANGES[ref.run_id]
    logged = _artifact(client, ref.run_id, FEATURE_RANGE_ARTIFACT)
    if logged is not None:
        found = FeatureRange(np.asarray(logged["low"]), np.asarray(logged["high"]), int(logged["rows"]))
    else:
        try:
            window = ref.window("train")
            data = load_market_data(settings, key, window.start_ms, window.end_ms)
            start_row, end_row = decision_rows(data, window.start_ms, window.end_ms)
        except HuracanError as exc:
            log.warning("%s: no training range to watch features against: %s", ref.label, exc)
            return None
        market = data.features[start_row:end_row, :N_MARKET_FEATURES].astype(np.float64)
        found = FeatureRange(np.nanmin(market, axis=0), np.nanmax(market, axis=0), end_row - start_row)
        try:
            client.log_dict(ref.run_id, found.as_json(window.start_ms, window.end_ms), FEATURE_RANGE_ARTIFACT)
        except Exception as exc:  # a read-only tracking server: the range is still used, just not kept
            log.warning("%s: the training feature range was not logged: %s", ref.label, redact(str(exc)))
    _RANGES[ref.run_id] = found
    return found

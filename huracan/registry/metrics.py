"""Metrics to an MLflow run: batched logging, and the sinks training hands its values to.

:func:`train_sink` and :func:`eval_sink` turn an MLflow run into the
:data:`~huracan.rl.callbacks.MetricsSink` s of :func:`huracan.rl.train.fit`: SB3's values under
``train/`` (SB3's own ``train/value_loss`` stays as is; ``rollout/...`` and ``time/...`` become
``train/rollout/...``, ``train/time/...``) and the validation scores under ``eval/``, step = timesteps so far.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mlflow.entities import Metric

from huracan.registry.keys import EVAL_PREFIX, TRAIN_PREFIX

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from huracan.rl.callbacks import MetricsSink

_BATCH = 900  # MLflow accepts up to 1000 metrics per log_batch call


def log_metrics(client: MlflowClient, run_id: str, values: Mapping[str, Any], step: int) -> None:
    """Log the finite numeric ``values`` to ``run_id`` at ``step`` in as few calls as MLflow allows."""
    now_ms = int(time.time() * 1000)
    metrics = [
        Metric(key=key, value=float(value), timestamp=now_ms, step=int(step))
        for key, value in values.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    ]
    for lo in range(0, len(metrics), _BATCH):
        client.log_batch(run_id, metrics=metrics[lo : lo + _BATCH], synchronous=True)


def _train_key(key: str) -> str:
    return key if key.startswith(TRAIN_PREFIX) else TRAIN_PREFIX + key


def train_sink(client: MlflowClient, run_id: str) -> MetricsSink:
    """A sink logging SB3's values to ``run_id`` under ``train/``."""

    def sink(values: Mapping[str, Any], step: int) -> None:
        log_metrics(client, run_id, {_train_key(key): value for key, value in values.items()}, step)

    return sink


def eval_sink(client: MlflowClient, run_id: str) -> MetricsSink:
    """A sink logging validation scores to ``run_id`` under ``eval/``."""

    def sink(values: Mapping[str, Any], step: int) -> None:
        log_metrics(client, run_id, {EVAL_PREFIX + key: value for key, value in values.items()}, step)

    return sink

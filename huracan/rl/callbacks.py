"""What runs alongside PPO training: MLflow logging of SB3's values and checkpoint selection on validation.

- :class:`MlflowOutputFormat` is an SB3 logger output that sends each dump (one per rollout) to an
  MLflow run as metrics under ``train/`` (SB3's own ``train/value_loss`` stays as is; ``rollout/...``
  and ``time/...`` become ``train/rollout/...``, ``train/time/...``), with the step = timesteps so far.
- :class:`ValidationCallback` scores the policy on the validation window every few rollouts (and before
  the first and after the last), logs the scores under ``eval/`` and keeps a copy of the best policy's
  weights; :meth:`ValidationCallback.restore_best` loads them back at the end. Nothing else about the
  model changes, and validation data is never trained on.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from mlflow import MlflowClient
from mlflow.entities import Metric
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import KVWriter

from huracan.registry.naming import EVAL_PREFIX, TRAIN_PREFIX

log = logging.getLogger(__name__)

Scorer = Callable[[BaseAlgorithm], Mapping[str, float]]
"""Scores a policy on the validation window: metric name -> value (e.g. ``sharpe``, ``total_return``)."""
_BATCH = 900  # MLflow accepts up to 1000 metrics per log_batch call


def _train_key(key: str) -> str:
    return key if key.startswith(TRAIN_PREFIX) else TRAIN_PREFIX + key


def log_metrics(client: MlflowClient, run_id: str, values: Mapping[str, float], step: int) -> None:
    """Log finite numeric ``values`` to ``run_id`` at ``step`` in as few calls as MLflow allows."""
    now_ms = int(time.time() * 1000)
    metrics = [
        Metric(key=key, value=float(value), timestamp=now_ms, step=int(step))
        for key, value in values.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    ]
    for lo in range(0, len(metrics), _BATCH):
        client.log_batch(run_id, metrics=metrics[lo : lo + _BATCH], synchronous=True)


class MlflowOutputFormat(KVWriter):
    """SB3 logger output writing numeric values to an MLflow run under ``train/``.

    :param client: the MLflow client.
    :param run_id: the run receiving the metrics.
    """

    def __init__(self, client: MlflowClient, run_id: str) -> None:
        self.client = client
        self.run_id = run_id

    def write(self, key_values: dict[str, Any], key_excluded: dict[str, tuple[str, ...]], step: int = 0) -> None:
        values = {
            _train_key(key): value
            for key, value in key_values.items()
            if not (key_excluded.get(key) and "mlflow" in key_excluded[key])
        }
        log_metrics(self.client, self.run_id, values, step)

    def close(self) -> None:
        """Nothing to release."""


class ValidationCallback(BaseCallback):
    """Score the policy on validation every ``eval_every_rollouts`` rollouts; keep the best weights.

    :param scorer: computes the validation metrics of the current policy (deterministic actions).
    :param selection_metric: the metric that ranks checkpoints (higher is better); NaN ranks lowest.
    :param eval_every_rollouts: rollouts between two scorings, >= 1. The policy is also scored after the
        last update, and before training as the curve's reference point (the untrained policy is logged,
        never kept as the best checkpoint).
    :param client: MLflow client, or None not to log.
    :param run_id: run receiving the ``eval/`` metrics (step = timesteps so far).
    """

    def __init__(
        self,
        scorer: Scorer,
        selection_metric: str,
        eval_every_rollouts: int,
        client: MlflowClient | None = None,
        run_id: str | None = None,
    ) -> None:
        super().__init__(verbose=0)
        if eval_every_rollouts < 1:
            raise ValueError(f"eval_every_rollouts must be >= 1, got {eval_every_rollouts}")
        self.scorer = scorer
        self.selection_metric = selection_metric
        self.eval_every_rollouts = eval_every_rollouts
        self.client = client
        self.run_id = run_id
        self.best_score = -math.inf
        self.best_timesteps = 0
        self.best_metrics: dict[str, float] = {}
        self.history: list[tuple[int, dict[str, float]]] = []
        self._best_state: dict[str, Any] | None = None
        self._rollouts = 0
        self._scored_at = -1

    def _score(self) -> None:
        steps = int(self.num_timesteps)
        if steps == self._scored_at:
            return
        self._scored_at = steps
        metrics = {key: float(value) for key, value in self.scorer(self.model).items()}
        if self.selection_metric not in metrics:
            raise KeyError(
                f"the validation scorer returned no {self.selection_metric!r}; it returned {sorted(metrics)}"
            )
        score = metrics[self.selection_metric]
        score = -math.inf if math.isnan(score) else score
        # The untrained policy (step 0) is scored as a reference point of the curve, not kept as a candidate.
        if steps > 0 and (score > self.best_score or self._best_state is None):
            self.best_score = score
            self.best_timesteps = steps
            self.best_metrics = metrics
            self._best_state = copy.deepcopy(self.model.policy.state_dict())
        self.history.append((steps, metrics))
        if self.client is not None and self.run_id is not None:
            values = {EVAL_PREFIX + key: value for key, value in metrics.items()}
            values[EVAL_PREFIX + "best_" + self.selection_metric] = self.best_score
            log_metrics(self.client, self.run_id, values, steps)
        log.debug(
            "validation at %d timesteps: %s = %.4f (best %.4f)", steps, self.selection_metric, score, self.best_score
        )

    def _on_training_start(self) -> None:
        self._score()

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        self._rollouts += 1
        if self._rollouts % self.eval_every_rollouts == 0:
            self._score()

    def _on_training_end(self) -> None:
        self._score()

    def restore_best(self) -> None:
        """Load the best-scoring weights into the model's policy (no-op before any scoring)."""
        if self._best_state is not None:
            self.model.policy.load_state_dict(self._best_state)

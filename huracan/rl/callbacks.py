"""What runs alongside PPO training: handing SB3's values and the validation scores to a metrics sink,
and checkpoint selection on validation.

- :class:`SinkOutputFormat` is an SB3 logger output that hands each dump (one per rollout) to a
  :data:`MetricsSink` with SB3's own keys (``train/value_loss``, ``rollout/ep_rew_mean``, ...), the step
  being the timesteps so far.
- :class:`ValidationCallback` scores the policy on the validation window every few rollouts (and before
  the first and after the last), hands the scores to a sink and keeps a copy of the best policy's
  weights; :meth:`ValidationCallback.restore_best` loads them back at the end. Nothing else about the
  model changes, and validation data is never trained on.

Where the values go (MLflow, under which names) is the sink's business: :mod:`huracan.registry.metrics`.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Callable, Mapping
from typing import Any

from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import KVWriter

log = logging.getLogger(__name__)

Scorer = Callable[[BaseAlgorithm], Mapping[str, float]]
"""Scores a policy on the validation window: metric name -> value (e.g. ``sharpe``, ``total_return``)."""
MetricsSink = Callable[[Mapping[str, Any], int], None]
"""Receives values by name at a step (timesteps so far); non-numeric values are the sink's to drop."""


class SinkOutputFormat(KVWriter):
    """SB3 logger output handing every dump to ``sink`` (keys as SB3 names them).

    :param sink: receives ``(values, step)`` once per dump.
    """

    def __init__(self, sink: MetricsSink) -> None:
        self.sink = sink

    def write(self, key_values: dict[str, Any], key_excluded: dict[str, tuple[str, ...]], step: int = 0) -> None:
        self.sink(key_values, step)

    def close(self) -> None:
        """Nothing to release."""


class ValidationCallback(BaseCallback):
    """Score the policy on validation every ``eval_every_rollouts`` rollouts; keep the best weights.

    :param scorer: computes the validation metrics of the current policy (deterministic actions).
    :param selection_metric: the metric that ranks checkpoints (higher is better); NaN ranks lowest.
    :param eval_every_rollouts: rollouts between two scorings, >= 1. The policy is also scored after the
        last update, and before training as the curve's reference point (the untrained policy is logged,
        never kept as the best checkpoint).
    :param sink: receives each scoring's metrics plus ``best_<selection_metric>`` (the best score so
        far), step = timesteps so far; None: scores are only kept in :attr:`history`.
    """

    def __init__(
        self,
        scorer: Scorer,
        selection_metric: str,
        eval_every_rollouts: int,
        sink: MetricsSink | None = None,
    ) -> None:
        super().__init__(verbose=0)
        if eval_every_rollouts < 1:
            raise ValueError(f"eval_every_rollouts must be >= 1, got {eval_every_rollouts}")
        self.scorer = scorer
        self.selection_metric = selection_metric
        self.eval_every_rollouts = eval_every_rollouts
        self.sink = sink
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
        if self.sink is not None:
            self.sink({**metrics, f"best_{self.selection_metric}": self.best_score}, steps)
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

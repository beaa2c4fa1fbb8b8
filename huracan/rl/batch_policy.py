"""A stable-baselines3 policy's deterministic decisions for every candle and every position, in batches.

The backtester needs the action a policy takes at row t when holding level j, for all rows of a window.
A ``model.predict`` call per candle costs 100-400 µs, nearly all of it overhead around a tiny network.
The market part of the observation never depends on the agent's actions and the position part takes
only :data:`~huracan.features.observation.N_POSITIONS` values, so the whole table comes from a few large
forward passes over :func:`~huracan.features.observation.observations_all_positions`; the backtester then
walks it (:func:`huracan.trading.backtest.replay`).

**Identical to predict.** ``policy.predict(obs, deterministic=True)`` of a categorical policy is
``argmax(softmax(action_net(forward_actor(extract_features(obs)))))``. Each batched pass runs the same
modules on the same float32 observations under ``torch.no_grad()`` in eval mode and takes the argmax of
the logits (softmax preserves their order). A matrix product over a batch may round differently in the
last bits than over one row, and softmax may round two close logits to one probability, so the two can
disagree only where the two largest logits are within rounding of each other; observations whose two
largest logits differ by less than :data:`TIE_MARGIN` (relative to the larger logit when it exceeds 1)
are therefore re-decided with ``policy.predict`` itself, one observation at a time. Every entry of the
table is thus what the step-by-step loop decides (``tests/rl/test_batch_policy.py`` checks it on a
trained model).

**Ensembles.** :class:`SeedEnsemble` is the seeds' policies deciding together by their mean action
probabilities (:func:`mean_probabilities`); :func:`policy_action` and :func:`policy_action_table` take one
as they take a model, so the backtest, the gate, the live step and the pyfunc model decide alike.

The policy must take the observation as the env returns it; a model trained behind ``VecNormalize``
needs its observation normalisation applied first, which this module does not do.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

import numpy as np

from huracan.features.catalog import N_MARKET_FEATURES
from huracan.features.observation import N_OBS, N_POSITIONS, observations_all_positions

if TYPE_CHECKING:
    import torch as th
    from stable_baselines3.common.base_class import BaseAlgorithm
    from stable_baselines3.common.policies import ActorCriticPolicy, BasePolicy

logger = logging.getLogger(__name__)

TIE_MARGIN: float = 1e-5
"""Observations whose two largest action logits differ by less than ``TIE_MARGIN * max(1, |largest|)``
are re-decided one by one with ``policy.predict``. Batched and single-row float32 passes were measured to
differ by at most ~1e-7 on that scale (100x below the margin); a PPO trained for a few thousand steps has
under 0.1 % of its observations inside it, an untrained one (near-uniform logits) under 1 %."""


def _actor_critic(model: BaseAlgorithm | BasePolicy) -> ActorCriticPolicy | None:
    """The model's actor-critic policy with a discrete action space, or ``None``."""
    from stable_baselines3.common.distributions import CategoricalDistribution
    from stable_baselines3.common.policies import ActorCriticPolicy

    policy = getattr(model, "policy", model)
    if isinstance(policy, ActorCriticPolicy) and isinstance(policy.action_dist, CategoricalDistribution):
        return policy
    return None


def _policy(model: BaseAlgorithm | BasePolicy) -> ActorCriticPolicy:
    policy = _actor_critic(model)
    if policy is None:
        raise ValueError(
            "need a stable-baselines3 actor-critic model (PPO, A2C) or policy with a discrete action space, "
            f"got {type(model).__name__}"
        )
    return policy


def _logits(policy: ActorCriticPolicy, obs: th.Tensor) -> th.Tensor:
    """The action logits, computed by the modules ``policy.get_distribution`` runs, in its order."""
    from stable_baselines3.common.policies import BaseModel

    features = BaseModel.extract_features(policy, obs, policy.pi_features_extractor)
    return policy.action_net(policy.mlp_extractor.forward_actor(features))


def policy_action(model: Decider, obs: np.ndarray) -> int:
    """``model.predict(obs, deterministic=True)``'s action for one observation (shape: the policy's
    observation space), decided as :func:`policy_action_table` decides each entry: the argmax of the
    logits of one forward pass, or ``predict`` itself at a near tie. About 5x faster than ``predict``,
    whose per-call overhead (checks, the distribution object) dwarfs the network. A model this module
    does not take (see :func:`policy_action_table`) gets ``predict``'s answer. A :class:`SeedEnsemble`
    gives the action with the largest mean probability over its members."""
    import torch as th

    if isinstance(model, SeedEnsemble):
        return int(model.predict(obs)[0])
    policy = _actor_critic(model)
    if policy is None or np.shape(obs) != policy.observation_space.shape:
        return int(np.asarray(model.predict(obs, deterministic=True)[0]).item())
    if policy.training:
        policy.set_training_mode(False)
    with th.no_grad():
        # the action head's device: policy.device walks every module of the policy on each call
        obs_tensor = th.as_tensor(np.asarray(obs)[None], device=next(policy.action_net.parameters()).device)
        logits = _logits(policy, obs_tensor)[0].tolist()
    best = max(range(len(logits)), key=logits.__getitem__)
    second = max(logit for i, logit in enumerate(logits) if i != best)
    if logits[best] - second < TIE_MARGIN * max(abs(logits[best]), 1.0):
        return int(np.asarray(policy.predict(obs, deterministic=True)[0]).item())
    return best


def policy_action_table(
    model: Decider,
    features: np.ndarray,
    start_row: int,
    end_row: int,
    batch_rows: int = 8192,
) -> np.ndarray:
    """The (n_rows, 6) action table of ``model`` for decision rows ``start_row .. end_row - 1``.

    ``table[t, j]`` equals ``model.predict(obs(t, j), deterministic=True)[0]`` with ``obs(t, j)`` the
    env's observation at row t holding level j. Rows outside the window are 0 (not evaluated).

    :param model: a stable-baselines3 PPO (or another ``ActorCriticPolicy`` model with a discrete action
        space, e.g. A2C) or its ``policy``; or a :class:`SeedEnsemble` (:func:`ensemble_action_table` of
        its members).
    :param features: (n_rows, 80) :attr:`MarketData.features <huracan.trading.market_data.MarketData>` or
        the (n_rows, 77) market features; rows of the window must be finite.
    :param start_row: first row to evaluate, >= 0.
    :param end_row: one past the last row to evaluate, <= n_rows.
    :param batch_rows: candle rows per forward pass (each gives 6 observations), >= 1; bounds memory
        (about ``batch_rows * 6 * (80 + hidden sizes) * 4`` bytes).
    """
    import torch as th

    if isinstance(model, SeedEnsemble):
        return ensemble_action_table(model.members, features, start_row, end_row)
    policy = _policy(model)
    features = np.asarray(features)
    if features.ndim != 2 or features.shape[1] not in (N_MARKET_FEATURES, N_OBS):
        raise ValueError(
            f"features must have shape (n_rows, {N_OBS}) or (n_rows, {N_MARKET_FEATURES}), got {features.shape}"
        )
    n_rows = len(features)
    if not 0 <= start_row < end_row <= n_rows:
        raise ValueError(f"need 0 <= start_row < end_row <= {n_rows}, got {start_row}, {end_row}")
    if int(batch_rows) != batch_rows or batch_rows < 1:
        raise ValueError(f"batch_rows must be an integer >= 1, got {batch_rows}")
    market = features[start_row:end_row, :N_MARKET_FEATURES]
    if not np.isfinite(market).all():
        raise ValueError("features are not finite in the window (rows before the warm-up are NaN)")
    table = np.zeros((n_rows, N_POSITIONS), dtype=np.int64)
    policy.set_training_mode(False)
    tie_obs: list[np.ndarray] = []  # observations to re-decide one by one, and their (row, level)
    tie_at: list[np.ndarray] = []
    for lo in range(start_row, end_row, int(batch_rows)):
        hi = min(lo + int(batch_rows), end_row)
        obs = observations_all_positions(features[lo:hi, :N_MARKET_FEATURES]).reshape(-1, N_OBS)
        obs_tensor, _ = policy.obs_to_tensor(obs)
        if not isinstance(obs_tensor, th.Tensor):  # a Dict observation space; Huracan's is a Box
            raise ValueError("the policy must take a flat (Box) observation, not a dict of them")
        with th.no_grad():
            top2 = th.topk(_logits(policy, obs_tensor), 2, dim=1)
            best, second = top2.values[:, 0], top2.values[:, 1]
            close = (best - second < TIE_MARGIN * th.clamp(best.abs(), min=1.0)).cpu().numpy()
        table[lo:hi] = top2.indices[:, 0].cpu().numpy().reshape(hi - lo, N_POSITIONS)
        if close.any():
            tie_obs.append(obs[close])
            rows, levels = np.divmod(np.flatnonzero(close), N_POSITIONS)
            tie_at.append(np.stack([rows + lo, levels], axis=1))
    if tie_obs:
        at = np.concatenate(tie_at)
        logger.debug("re-deciding %d near-tie observations one by one with policy.predict", len(at))
        for single, (row, level) in zip(np.concatenate(tie_obs), at.tolist(), strict=True):
            action, _ = policy.predict(single, deterministic=True)
            table[row, level] = int(action)
    return table


@dataclass(frozen=True)
class SeedEnsemble:
    """The models of several seeds deciding together: at each observation, the action with the largest
    mean probability over the members (a tie goes to the lower action). What training registers when it
    trains more than one seed; every function here that takes a model takes one of these too.

    :param members: the seeds' models (stable-baselines3 PPO), >= 2, in seed order.
    :param seeds: the seed of each member.
    """

    members: tuple[BaseAlgorithm, ...]
    seeds: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.members) < 2 or len(self.seeds) != len(self.members):
            raise ValueError(
                f"an ensemble needs two or more members and one seed each, got {len(self.members)} and {self.seeds}"
            )

    def predict(self, observation: np.ndarray, deterministic: bool = True) -> tuple[np.ndarray, None]:
        """The ensemble's actions for a batch of observations (n, 80) or one (80,), as SB3's ``predict``
        returns them; ``deterministic`` must be True (an ensemble has no sampling mode)."""
        if not deterministic:
            raise ValueError("an ensemble decides deterministically only")
        obs = np.asarray(observation, dtype=np.float32)
        actions = mean_probabilities(self.members, obs.reshape(-1, N_OBS)).argmax(axis=1)
        return (actions.reshape(()) if obs.ndim == 1 else actions), None


Decider = Union["BaseAlgorithm", "BasePolicy", SeedEnsemble]
"""What decides: one model (or its policy), or a :class:`SeedEnsemble`."""


def mean_probabilities(models: Sequence[BaseAlgorithm | BasePolicy], obs: np.ndarray) -> np.ndarray:
    """The (n, 6) mean over ``models`` of ``softmax(logits(obs))`` (float64) for observations (n, 80)."""
    import torch as th

    if not models:
        raise ValueError("an ensemble needs at least one model")
    total = np.zeros((len(obs), N_POSITIONS), dtype=np.float64)
    for model in models:
        policy = _policy(model)
        policy.set_training_mode(False)
        obs_tensor, _ = policy.obs_to_tensor(obs)
        if not isinstance(obs_tensor, th.Tensor):  # a Dict observation space; Huracan's is a Box
            raise ValueError("the policy must take a flat (Box) observation, not a dict of them")
        with th.no_grad():
            total += th.softmax(_logits(policy, obs_tensor).double(), dim=1).cpu().numpy()
    return total / len(models)


def ensemble_probabilities(
    models: Sequence[BaseAlgorithm | BasePolicy], features: np.ndarray, start_row: int, end_row: int
) -> np.ndarray:
    """The members' action probabilities averaged: a (end_row - start_row, 6 positions, 6 actions) array,
    ``out[t - start_row, j]`` the mean over ``models`` of ``softmax(logits(obs(t, j)))`` (float64)."""
    features = np.asarray(features)
    if not 0 <= start_row < end_row <= len(features):
        raise ValueError(f"need 0 <= start_row < end_row <= {len(features)}, got {start_row}, {end_row}")
    market = features[start_row:end_row, :N_MARKET_FEATURES]
    if not np.isfinite(market).all():
        raise ValueError("features are not finite in the window (rows before the warm-up are NaN)")
    obs = observations_all_positions(market).reshape(-1, N_OBS)
    return mean_probabilities(models, obs).reshape(end_row - start_row, N_POSITIONS, N_POSITIONS)


def ensemble_action_table(
    models: Sequence[BaseAlgorithm | BasePolicy], features: np.ndarray, start_row: int, end_row: int
) -> np.ndarray:
    """The (n_rows, 6) action table of an ensemble: at row t holding level j, the action with the largest
    mean probability over ``models`` (:func:`ensemble_probabilities`; a tie goes to the lower action).
    Rows outside the window are 0. One member gives its own deterministic decisions (up to exact ties)."""
    table = np.zeros((len(features), N_POSITIONS), dtype=np.int64)
    table[start_row:end_row] = ensemble_probabilities(models, features, start_row, end_row).argmax(axis=2)
    return table

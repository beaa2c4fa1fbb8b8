"""PPO training: one model per seed on the walk-forward split, as plain results (no MLflow here).

- :func:`load_training_data` is what training reads: the quality gate
  (:func:`huracan.quality.require_passed`) must have passed the series' latest validation, otherwise its
  :class:`~huracan.errors.DataQualityError` stops everything; then the candles are read from the store,
  split by time (:mod:`huracan.rl.split`) and fingerprinted.
- :func:`train_seed` trains one seed: PPO learns on the train window through the vectorised env while
  :class:`~huracan.rl.callbacks.ValidationCallback` scores it on the validation window and keeps the
  best checkpoint. It returns a :class:`TrainedSeed` (the model, its validation score and metrics);
  SB3's values and the validation scores go to optional metrics sinks as they come.

The test window is recorded and never looked at here.

Logging the runs to MLflow and registering the ensemble of the seeds as ``challenger`` is the registry's
(:func:`huracan.registry.training.train_series`). Reproducible: same candles, config and seed give the
same weights (one torch thread, deterministic algorithms, every RNG seeded from the seed).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from huracan.errors import NoDataError, TrainingError
from huracan.rl.split import DEFAULT_FRACTIONS, WalkForwardSplit, Window, walk_forward_split

if TYPE_CHECKING:
    from stable_baselines3 import PPO

    from huracan.config import Settings
    from huracan.data.candle_store import SeriesKey
    from huracan.data.fingerprint import DataFingerprint
    from huracan.rl.batch_policy import Decider
    from huracan.rl.callbacks import MetricsSink, ValidationCallback
    from huracan.timeframes import Timeframe
    from huracan.trading.config import EnvConfig
    from huracan.trading.market_data import MarketData

log = logging.getLogger(__name__)

SELECTION_METRICS = ("sharpe", "sortino", "total_return", "calmar")


@dataclass(frozen=True)
class TrainConfig:
    """PPO and training-loop settings. The defaults suit a 2-core machine and 1d-1h candles.

    :param timesteps: environment steps per seed, >= 1 (all env copies together).
    :param n_envs: env copies stepped together by :class:`~huracan.trading.vec_env.TradingVecEnv`, >= 1.
        16 copies make each policy forward pass serve 16 decisions.
    :param n_steps: steps per copy per rollout (rollout size ``n_envs * n_steps``), >= 2.
    :param batch_size: minibatch size of the PPO update; must divide ``n_envs * n_steps``.
    :param n_epochs: passes over each rollout, >= 1. 4 passes of 8 minibatches of 256 (32 gradient
        steps per rollout) cost a tenth of SB3's 10 passes of 64 (320) and reach an equal or better
        validation score on BTC/USDT 1d (``bench/train.py``).
    :param learning_rate: Adam step size, >= 0 (0 does not learn: the learning test's control).
    :param gamma: discount per decision, in (0, 1].
    :param gae_lambda: GAE lambda, in [0, 1].
    :param clip_range: PPO clip range, > 0.
    :param ent_coef: entropy bonus, >= 0; a little keeps the 6-way policy exploring.
    :param net_arch: hidden layer sizes of the policy and value MLPs (separate networks).
    :param episode_length: decisions per training episode (random start in the train window), >= 2;
        fewer when the window is shorter.
    :param eval_every_rollouts: rollouts between two validation scorings, >= 1.
    :param selection_metric: validation metric that picks the checkpoint and ranks the seeds, one of
        :data:`SELECTION_METRICS` (higher is better).
    :param split_fractions: shares of the decisions for train, validation and test.
    :param variance_penalty: the training reward's risk aversion k, >= 0: each step pays its log return
        minus ``k * log_return ** 2`` (:attr:`EnvConfig.variance_penalty
        <huracan.trading.config.EnvConfig>`), which pays the agent to hold less when volatility is
        high; 0 trains on the plain log return. Only training sees it: backtests, validation and
        trading count money, not reward. ``docs/models.md`` records how the default was chosen.
    """

    timesteps: int = 200_000
    n_envs: int = 16
    n_steps: int = 128
    batch_size: int = 256
    n_epochs: int = 4
    learning_rate: float = 3e-4
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip_range: float = 0.2
    ent_coef: float = 0.01
    net_arch: tuple[int, ...] = (64, 64)
    episode_length: int = 256
    eval_every_rollouts: int = 5
    selection_metric: str = "sharpe"
    split_fractions: tuple[float, float, float] = DEFAULT_FRACTIONS
    variance_penalty: float = 3.0

    def __post_init__(self) -> None:
        for name in ("timesteps", "n_envs", "n_epochs", "eval_every_rollouts"):
            if int(getattr(self, name)) != getattr(self, name) or getattr(self, name) < 1:
                raise TrainingError(f"{name} must be an integer >= 1, got {getattr(self, name)}")
        if self.n_steps < 2 or self.episode_length < 2:
            raise TrainingError(f"n_steps and episode_length must be >= 2, got {self.n_steps}, {self.episode_length}")
        rollout = self.n_envs * self.n_steps
        if self.batch_size < 2 or rollout % self.batch_size:
            raise TrainingError(
                f"batch_size ({self.batch_size}) must be >= 2 and divide the rollout n_envs * n_steps = {rollout}; "
                f"try {rollout // 4} or {rollout}"
            )
        if not self.learning_rate >= 0 or not 0 < self.gamma <= 1 or not 0 <= self.gae_lambda <= 1:
            raise TrainingError("need learning_rate >= 0, gamma in (0, 1] and gae_lambda in [0, 1]")
        if not self.clip_range > 0 or not self.ent_coef >= 0 or not self.net_arch or min(self.net_arch) < 1:
            raise TrainingError("need clip_range > 0, ent_coef >= 0 and at least one hidden layer of >= 1 unit")
        if not 0 <= self.variance_penalty < math.inf:
            raise TrainingError(f"variance_penalty must be finite and >= 0 (0 is off), got {self.variance_penalty}")
        if self.selection_metric not in SELECTION_METRICS:
            raise TrainingError(f"selection_metric must be one of {SELECTION_METRICS}, got {self.selection_metric!r}")


@dataclass(frozen=True)
class TrainedSeed:
    """One trained seed.

    :param seed: the seed.
    :param model: the PPO holding the best validation checkpoint's weights.
    :param validation_score: best validation value of the selection metric.
    :param best_timesteps: timesteps at the kept checkpoint.
    :param validation_metrics: all validation metrics of the kept checkpoint.
    :param elapsed_s: wall time of the training, s.
    """

    seed: int
    model: PPO
    validation_score: float
    best_timesteps: int
    validation_metrics: dict[str, float]
    elapsed_s: float


@dataclass(frozen=True)
class TrainingData:
    """A validated series ready to train on.

    :param key: the series.
    :param data: the arrays of the whole range (train, validation and test rows).
    :param split: the walk-forward windows over ``data``.
    :param fingerprint: the identity of the candles read.
    """

    key: SeriesKey
    data: MarketData
    split: WalkForwardSplit
    fingerprint: DataFingerprint


def configure_torch() -> None:
    """One torch thread and deterministic algorithms, for this process; warns unless torch runs on the
    pinned floating-point path (:func:`huracan.numerics.check_pinned`)."""
    import torch

    from huracan.numerics import check_pinned

    check_pinned()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def training_env_config(base: EnvConfig | None, train_config: TrainConfig) -> EnvConfig:
    """``base`` (default :class:`EnvConfig`) with training episodes (``train_config.episode_length``,
    random starts) and the training reward's ``train_config.variance_penalty``."""
    from dataclasses import replace

    from huracan.trading.config import EnvConfig

    return replace(
        base or EnvConfig(),
        episode_length=train_config.episode_length,
        random_start=True,
        variance_penalty=train_config.variance_penalty,
    )


def validation_scorer(
    data: MarketData, window: Window, env_config: EnvConfig
) -> Callable[[Decider], Mapping[str, float]]:
    """A scorer for :class:`ValidationCallback` (and for an ensemble of seeds): the backtest metrics of
    the policy on ``window``."""
    from huracan.rl.batch_policy import policy_action_table
    from huracan.trading.backtest import replay

    def score(model: Decider) -> Mapping[str, float]:
        table = policy_action_table(model, data.features, window.start_row, window.end_row)
        return replay(data, table, window.start_row, window.end_row, env_config).metrics

    return score


def train_window_data(data: MarketData, split: WalkForwardSplit) -> MarketData:
    """The rows of ``data`` training may see: up to ``split.train.end_row``, where the last train decision
    fills and is marked; nothing of the validation and test windows after it."""
    from huracan.trading.market_data import MarketData

    rows = split.train.end_row + 1
    return MarketData(
        data.features[:rows],
        data.open_quote[:rows],
        data.close_quote[:rows],
        data.volume_base[:rows],
        data.timeframe,
        data.first_row,
        None if data.open_time_ms is None else data.open_time_ms[:rows],
    )


def fit(
    data: MarketData,
    split: WalkForwardSplit,
    seed: int,
    train_config: TrainConfig = TrainConfig(),
    env_config: EnvConfig | None = None,
    train_sink: MetricsSink | None = None,
    eval_sink: MetricsSink | None = None,
) -> tuple[PPO, ValidationCallback]:
    """Train one PPO on ``split.train`` of ``data`` and keep the best checkpoint on ``split.validation``.

    :param data: the whole range's arrays (train, validation and test rows).
    :param split: the walk-forward windows over ``data``.
    :param seed: seeds Python, numpy, torch, the env copies and the action space.
    :param train_config: PPO and loop settings.
    :param env_config: capital, costs and reward shaping (episode settings come from ``config``).
    :param train_sink: receives SB3's values after every rollout (:class:`SinkOutputFormat`), or None.
    :param eval_sink: receives every validation scoring (:class:`ValidationCallback`), or None.
    :return: the model holding the best checkpoint's weights, and the callback (scores, history).
    """
    from stable_baselines3 import PPO
    from stable_baselines3.common.logger import KVWriter, Logger
    from stable_baselines3.common.utils import set_random_seed
    from stable_baselines3.common.vec_env import VecMonitor

    from huracan.rl.callbacks import SinkOutputFormat, ValidationCallback
    from huracan.trading.vec_env import TradingVecEnv

    configure_torch()
    set_random_seed(seed)
    env_cfg = training_env_config(env_config, train_config)
    # episode returns: train/rollout/ep_rew_mean
    env = VecMonitor(TradingVecEnv(train_window_data(data, split), train_config.n_envs, env_cfg))
    model = PPO(
        "MlpPolicy",
        env,
        learning_rate=train_config.learning_rate,
        n_steps=train_config.n_steps,
        batch_size=train_config.batch_size,
        n_epochs=train_config.n_epochs,
        gamma=train_config.gamma,
        gae_lambda=train_config.gae_lambda,
        clip_range=train_config.clip_range,
        ent_coef=train_config.ent_coef,
        policy_kwargs={"net_arch": {"pi": list(train_config.net_arch), "vf": list(train_config.net_arch)}},
        seed=seed,
        device="cpu",
        verbose=0,
    )
    outputs: list[KVWriter] = [SinkOutputFormat(train_sink)] if train_sink is not None else []
    model.set_logger(Logger(folder=None, output_formats=outputs))
    callback = ValidationCallback(
        validation_scorer(data, split.validation, env_cfg),
        train_config.selection_metric,
        train_config.eval_every_rollouts,
        eval_sink,
    )
    model.learn(total_timesteps=train_config.timesteps, callback=callback, progress_bar=False)
    callback.restore_best()
    return model, callback


def train_seed(
    data: MarketData,
    split: WalkForwardSplit,
    seed: int,
    train_config: TrainConfig = TrainConfig(),
    env_config: EnvConfig | None = None,
    train_sink: MetricsSink | None = None,
    eval_sink: MetricsSink | None = None,
) -> TrainedSeed:
    """:func:`fit` one seed (same parameters) and return its model and validation outcome."""
    started = time.monotonic()
    model, callback = fit(data, split, seed, train_config, env_config, train_sink, eval_sink)
    log.info(
        "seed %d: validation %s %.4f at %d timesteps",
        seed,
        train_config.selection_metric,
        callback.best_score,
        callback.best_timesteps,
    )
    return TrainedSeed(
        seed, model, callback.best_score, callback.best_timesteps, callback.best_metrics, time.monotonic() - started
    )


def load_training_data(
    settings: Settings,
    symbol: str,
    timeframe: Timeframe,
    start_ms: int | None = None,
    end_ms: int | None = None,
    train_config: TrainConfig = TrainConfig(),
) -> TrainingData:
    """The validated candles of a stored series in a range, split and fingerprinted.

    :param settings: store and exchange settings.
    :param symbol: unified symbol, e.g. "BTC/USDT".
    :param timeframe: the series' timeframe.
    :param start_ms: first candle open time of the range (ms UTC, included); None: the first stored.
    :param end_ms: last candle open time of the range (ms UTC, included); None: the last stored.
    :param train_config: its ``split_fractions`` cut the windows.
    :raises DataQualityError: the series' latest validation did not pass (raised by the quality gate).
    :raises NoDataError: nothing is stored in the range.
    :raises TrainingError: too little data for the split, or a malformed candle frame.
    """
    from huracan.data.candle_store import CandleStore, SeriesKey
    from huracan.data.fingerprint import fingerprint
    from huracan.features.candles import CandleFrameError
    from huracan.quality import require_passed
    from huracan.trading.market_data import MarketData

    key = SeriesKey(settings.exchange, symbol, timeframe.name)
    require_passed(settings, key, start_ms, end_ms)  # first: no training on data that failed validation
    candles = CandleStore.open(settings.store_url).read(key, start_ms, end_ms)
    if candles.empty:
        raise NoDataError(f"no candles stored for {key} in the requested range; run `huracan download` first")
    try:
        data = MarketData.from_candles(candles, timeframe)
    except CandleFrameError as exc:
        raise TrainingError(f"{key}: {exc}") from exc
    return TrainingData(key, data, walk_forward_split(data, train_config.split_fractions), fingerprint(key, candles))


def check_seeds(seeds: Sequence[int]) -> list[int]:
    """``seeds`` as a list of ints; :class:`TrainingError` unless they are one or more distinct integers."""
    checked = [int(seed) for seed in seeds]
    if not checked or len(set(checked)) != len(checked):
        raise TrainingError(f"seeds must be one or more distinct integers, got {checked}")
    return checked

"""PPO training: walk-forward split, one model per seed, MLflow logging, registration as ``challenger``.

:func:`train_series` is what ``huracan train`` and the training DAG run:

1. the quality gate (:func:`huracan.quality.gate.require_passed`) must have passed the series' latest
   validation; otherwise its :class:`~huracan.errors.DataQualityError` stops everything;
2. the candles are read from the store and split by time (:mod:`huracan.rl.split`);
3. per seed, PPO learns on the train window through the vectorised env while
   :class:`~huracan.rl.callbacks.ValidationCallback` scores it on the validation window and keeps the
   best checkpoint; each seed is one MLflow run (nested under the group's parent run) with every
   parameter, the seed, the data fingerprint, the code version, ``train/`` and ``eval/`` curves and the
   policy as a pyfunc model;
4. the seed whose validation score is the median is registered (model ``huracan-<BASE>-<QUOTE>-<tf>``)
   and becomes the ``challenger``. The test window is recorded and never looked at here.

:func:`fit` is the training step alone (no store, no MLflow), for tests and the benchmark.
Reproducible: same candles, config and seed give the same weights (one torch thread, deterministic
algorithms, every RNG seeded from the seed).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from huracan.errors import NoDataError, TrainingError
from huracan.rl.split import DEFAULT_FRACTIONS, WalkForwardSplit, Window, walk_forward_split

if TYPE_CHECKING:
    import pandas as pd
    from mlflow import MlflowClient
    from stable_baselines3 import PPO
    from stable_baselines3.common.base_class import BaseAlgorithm

    from huracan.config import Settings
    from huracan.data.candle_store import SeriesKey
    from huracan.data.fingerprint import DataFingerprint
    from huracan.rl.callbacks import Scorer, ValidationCallback
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
        if self.selection_metric not in SELECTION_METRICS:
            raise TrainingError(f"selection_metric must be one of {SELECTION_METRICS}, got {self.selection_metric!r}")

    def as_params(self) -> dict[str, object]:
        """``ppo.<field>`` values, as logged to MLflow."""
        return {f"ppo.{name}": value for name, value in asdict(self).items()}


@dataclass(frozen=True)
class SeedOutcome:
    """One trained seed.

    :param seed: the seed.
    :param validation_score: best validation value of the selection metric.
    :param best_timesteps: timesteps at the kept checkpoint (0: the untrained policy scored best).
    :param validation_metrics: all validation metrics of the kept checkpoint.
    :param run_id: its MLflow run (None when trained without MLflow).
    :param model_uri: its logged pyfunc model, ``models:/m-...`` (None without MLflow).
    """

    seed: int
    validation_score: float
    best_timesteps: int
    validation_metrics: dict[str, float]
    run_id: str | None = None
    model_uri: str | None = None


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train_series` did.

    :param model_name: the registered model.
    :param version: the version registered as ``challenger``.
    :param group_run_id: the parent MLflow run of the seeds.
    :param selected: the seed registered (median validation score).
    :param seeds: every seed trained, in the order given.
    :param split: the walk-forward windows.
    :param data: the fingerprint of the candles trained on.
    :param elapsed_s: wall time, s.
    """

    model_name: str
    version: str
    group_run_id: str
    selected: SeedOutcome
    seeds: tuple[SeedOutcome, ...]
    split: WalkForwardSplit
    data: DataFingerprint
    elapsed_s: float = field(default=0.0)


def configure_torch() -> None:
    """One torch thread and deterministic algorithms, for this process."""
    import torch

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def training_env_config(base: EnvConfig | None, config: TrainConfig) -> EnvConfig:
    """``base`` (default :class:`EnvConfig`) with training episodes: ``config.episode_length``, random starts."""
    from dataclasses import replace

    from huracan.trading.config import EnvConfig

    return replace(base or EnvConfig(), episode_length=config.episode_length, random_start=True)


def validation_scorer(data: MarketData, window: Window, env_config: EnvConfig) -> Scorer:
    """A scorer for :class:`ValidationCallback`: the backtest metrics of the policy on ``window``."""
    from huracan.rl.batch_policy import policy_action_table
    from huracan.trading.backtest import replay

    def score(model: BaseAlgorithm) -> Mapping[str, float]:
        table = policy_action_table(model, data.features, window.start_row, window.end_row)
        return replay(data, table, window.start_row, window.end_row, env_config).metrics

    return score


def fit(
    data: MarketData,
    split: WalkForwardSplit,
    seed: int,
    config: TrainConfig = TrainConfig(),
    env_config: EnvConfig | None = None,
    client: MlflowClient | None = None,
    run_id: str | None = None,
) -> tuple[PPO, ValidationCallback]:
    """Train one PPO on ``split.train`` of ``data`` and keep the best checkpoint on ``split.validation``.

    :param data: the whole range's arrays (train, validation and test rows).
    :param split: the walk-forward windows over ``data``.
    :param seed: seeds Python, numpy, torch, the env copies and the action space.
    :param config: PPO and loop settings.
    :param env_config: capital, costs and reward shaping (episode settings come from ``config``).
    :param client: MLflow client for ``train/`` and ``eval/`` metrics, or None.
    :param run_id: the MLflow run receiving them.
    :return: the model holding the best checkpoint's weights, and the callback (scores, history).
    """
    from stable_baselines3 import PPO
    from stable_baselines3.common.logger import Logger
    from stable_baselines3.common.utils import set_random_seed
    from stable_baselines3.common.vec_env import VecMonitor

    from huracan.rl.callbacks import MlflowOutputFormat, ValidationCallback
    from huracan.trading.market_data import MarketData
    from huracan.trading.vec_env import TradingVecEnv

    configure_torch()
    set_random_seed(seed)
    env_cfg = training_env_config(env_config, config)
    train_rows = split.train.end_row + 1  # the last train decision fills and is marked at row end_row
    train_data = MarketData(
        data.features[:train_rows],
        data.open_quote[:train_rows],
        data.close_quote[:train_rows],
        data.volume_base[:train_rows],
        data.timeframe,
        data.first_row,
        None if data.open_time_ms is None else data.open_time_ms[:train_rows],
    )
    env = VecMonitor(TradingVecEnv(train_data, config.n_envs, env_cfg))  # episode returns: train/rollout/ep_rew_mean
    model = PPO(
        "MlpPolicy",
        env,
        learning_rate=config.learning_rate,
        n_steps=config.n_steps,
        batch_size=config.batch_size,
        n_epochs=config.n_epochs,
        gamma=config.gamma,
        gae_lambda=config.gae_lambda,
        clip_range=config.clip_range,
        ent_coef=config.ent_coef,
        policy_kwargs={"net_arch": {"pi": list(config.net_arch), "vf": list(config.net_arch)}},
        seed=seed,
        device="cpu",
        verbose=0,
    )
    outputs = [MlflowOutputFormat(client, run_id)] if client is not None and run_id is not None else []
    model.set_logger(Logger(folder=None, output_formats=outputs))
    callback = ValidationCallback(
        validation_scorer(data, split.validation, env_cfg),
        config.selection_metric,
        config.eval_every_rollouts,
        client,
        run_id,
    )
    model.learn(total_timesteps=config.timesteps, callback=callback, progress_bar=False)
    callback.restore_best()
    return model, callback


def median_seed(outcomes: Sequence[SeedOutcome]) -> SeedOutcome:
    """The seed with the median validation score (the lower middle one for an even count; ties by seed)."""
    if not outcomes:
        raise ValueError("no seeds to choose from")
    ranked = sorted(outcomes, key=lambda o: (o.validation_score, o.seed))
    return ranked[(len(ranked) - 1) // 2]


def train_series(
    settings: Settings,
    symbol: str,
    timeframe: Timeframe,
    seeds: Sequence[int] = (0,),
    start_ms: int | None = None,
    end_ms: int | None = None,
    config: TrainConfig = TrainConfig(),
    env_config: EnvConfig | None = None,
) -> TrainResult:
    """Train one model per seed on a stored, validated series and register the median as ``challenger``.

    :param settings: store, MLflow and exchange settings.
    :param symbol: unified symbol, e.g. "BTC/USDT".
    :param timeframe: the series' timeframe.
    :param seeds: one model per seed, >= 1 distinct seeds.
    :param start_ms: first candle open time of the range (ms UTC, included); None: the first stored.
    :param end_ms: last candle open time of the range (ms UTC, included); None: the last stored.
    :param config: PPO and loop settings.
    :param env_config: capital, costs and reward shaping; default :class:`EnvConfig`.
    :raises DataQualityError: the series' latest validation did not pass (raised by the quality gate).
    :raises NoDataError: nothing is stored in the range.
    :raises TrainingError: too little data for the split, or bad options.
    """
    from huracan.data.candle_store import CandleStore, SeriesKey
    from huracan.quality import require_passed

    key = SeriesKey(settings.exchange, symbol, timeframe.name)
    require_passed(settings, key, start_ms, end_ms)  # first: no training on data that failed validation
    seeds = [int(seed) for seed in seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise TrainingError(f"seeds must be one or more distinct integers, got {seeds}")
    started = time.monotonic()
    candles = CandleStore.open(settings.store_url).read(key, start_ms, end_ms)
    if candles.empty:
        raise NoDataError(f"no candles stored for {key} in the requested range; run `huracan download` first")
    return _train_frame(settings, key, timeframe, candles, seeds, config, env_config, started)


def _train_frame(
    settings: Settings,
    key: SeriesKey,
    timeframe: Timeframe,
    candles: pd.DataFrame,
    seeds: list[int],
    config: TrainConfig,
    env_config: EnvConfig | None,
    started: float,
) -> TrainResult:
    """:func:`train_series` after the gate: split, train each seed in its MLflow run, register the median."""
    import mlflow

    from huracan.data.fingerprint import fingerprint
    from huracan.features.candles import CandleFrameError
    from huracan.registry import models, naming
    from huracan.registry.tracking import configure_tracking, ensure_experiment
    from huracan.rl.callbacks import log_metrics
    from huracan.rl.fingerprint import code_version
    from huracan.rl.params import env_config_params
    from huracan.rl.pyfunc import observation_frame, observation_spec
    from huracan.trading.config import EnvConfig
    from huracan.trading.market_data import MarketData

    try:
        data = MarketData.from_candles(candles, timeframe)
    except CandleFrameError as exc:
        raise TrainingError(f"{key}: {exc}") from exc
    split = walk_forward_split(data, config.split_fractions)
    data_id = fingerprint(key, candles)
    env_config = env_config or EnvConfig()
    name = naming.model_name(key.symbol, timeframe)
    client = configure_tracking(settings)
    experiment_id = ensure_experiment(settings, client, naming.experiment_name(key.symbol, timeframe))
    group = uuid.uuid4().hex
    version_text = code_version()
    params = {
        **config.as_params(),
        **env_config_params(env_config),
        **split.as_params(),
        **data_id.as_params(),
        "code.version": version_text,
        "seeds": ",".join(map(str, seeds)),
    }
    common_tags = {
        naming.TAG_GROUP: group,
        naming.TAG_CODE_VERSION: version_text,
        "huracan.symbol": key.symbol,
        "huracan.timeframe": key.timeframe,
        "huracan.exchange": key.exchange,
        "huracan.registered_model": name,
    }
    spec = observation_spec(
        exchange=key.exchange, symbol=key.symbol, timeframe=key.timeframe, env_config=env_config_params(env_config)
    )
    example_rows = slice(split.validation.start_row, split.validation.start_row + 2)
    input_example = observation_frame(data.features[example_rows])
    outcomes: list[SeedOutcome] = []
    log.info(
        "training %s on %d candles (%s): train %d, validation %d, test %d decisions; seeds %s",
        key,
        len(candles),
        data_id.sha256[:12],
        split.train.n_decisions,
        split.validation.n_decisions,
        split.test.n_decisions,
        seeds,
    )
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"train {key.symbol} {key.timeframe}") as parent:
        mlflow.set_tags({**common_tags, naming.TAG_ROLE: "training"})
        mlflow.log_params(params)
        for seed in seeds:
            with mlflow.start_run(experiment_id=experiment_id, run_name=f"seed {seed}", nested=True) as run:
                mlflow.set_tags({**common_tags, naming.TAG_ROLE: "seed", naming.TAG_SEED: str(seed)})
                mlflow.log_params({**params, "seed": seed})
                seed_started = time.monotonic()
                model, callback = fit(data, split, seed, config, env_config, client, run.info.run_id)
                model_uri = models.log_policy(model, spec, input_example)
                mlflow.set_tag(naming.TAG_MODEL_URI, model_uri)
                outcome = SeedOutcome(
                    seed,
                    callback.best_score,
                    callback.best_timesteps,
                    callback.best_metrics,
                    run.info.run_id,
                    model_uri,
                )
                log_metrics(
                    client,
                    run.info.run_id,
                    {
                        "train/elapsed_s": time.monotonic() - seed_started,
                        "eval/selected_score": outcome.validation_score,
                        "eval/selected_timesteps": outcome.best_timesteps,
                    },
                    step=config.timesteps,
                )
                outcomes.append(outcome)
                log.info(
                    "seed %d: validation %s %.4f at %d timesteps",
                    seed,
                    config.selection_metric,
                    outcome.validation_score,
                    outcome.best_timesteps,
                )
        selected = median_seed(outcomes)
        client.set_tag(str(selected.run_id), naming.TAG_SELECTED, "true")
        version_tags = {
            naming.TAG_GROUP: group,
            naming.TAG_SEED: str(selected.seed),
            "huracan.validation_metric": config.selection_metric,
            "huracan.validation_score": f"{selected.validation_score:.6g}",
            "huracan.test_start_ms": str(split.test.start_ms),
            "huracan.test_end_ms": str(split.test.end_ms),
            "huracan.data_sha256": data_id.sha256,
            naming.TAG_CODE_VERSION: version_text,
        }
        description = (
            f"PPO policy for {key.symbol} {key.timeframe} on {key.exchange}; seed {selected.seed} "
            f"(median validation {config.selection_metric} of seeds {seeds})"
        )
        version = models.register(
            client, name, str(selected.model_uri), str(selected.run_id), version_tags, description
        )
        mlflow.set_tags(
            {"huracan.selected_seed": str(selected.seed), "huracan.registered_version": str(version.version)}
        )
        scores = {f"eval/seed_{o.seed}_score": o.validation_score for o in outcomes}
        log_metrics(client, parent.info.run_id, {**scores, "eval/selected_score": selected.validation_score}, step=0)
    return TrainResult(
        model_name=name,
        version=str(version.version),
        group_run_id=parent.info.run_id,
        selected=selected,
        seeds=tuple(outcomes),
        split=split,
        data=data_id,
        elapsed_s=time.monotonic() - started,
    )

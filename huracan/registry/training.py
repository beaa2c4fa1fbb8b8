"""A training in MLflow: one run per seed under a parent run, the ensemble of the seeds registered as
``challenger``.

:func:`train_series` is what ``huracan train`` and the training DAG run:

1. :func:`huracan.rl.train.load_training_data`: the quality gate must have passed the series' latest
   validation (otherwise its :class:`~huracan.errors.DataQualityError` stops everything, before any
   MLflow run starts), then the candles are read, split by time and fingerprinted;
2. per seed, :func:`huracan.rl.train.train_seed` in its own MLflow run, nested under the group's parent
   run, with every parameter, the seed, the data fingerprint and the code version
   (:class:`~huracan.registry.keys.TrainingParams`), the ``train/`` and ``eval/`` curves as they come,
   and the policy logged as a pyfunc model;
3. the ensemble of the seeds (:class:`~huracan.rl.batch_policy.SeedEnsemble`: the action with the
   largest mean probability over the seeds' models) is scored on the validation window, logged as a
   pyfunc model in the parent run and registered (model ``huracan-<BASE>-<QUOTE>-<tf>``) as the
   ``challenger``; one seed registers that seed's model from its own run. The version carries
   :class:`~huracan.registry.keys.VersionTags`.

Why an ensemble: single seeds disagree out of sample by more than any setting changes, and their mean
decision is steadier; ``docs/models.md`` has the numbers (six seeds meet issue 16's target on the 1d
pairs where the median seed does not).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from huracan.registry import naming
from huracan.registry.keys import (
    EVAL_PREFIX,
    TRAIN_PREFIX,
    Role,
    RunTags,
    TrainingParams,
    VersionTags,
    env_config_params,
)
from huracan.rl.train import (
    TrainConfig,
    check_seeds,
    load_training_data,
    train_seed,
    training_env_config,
    validation_scorer,
)

if TYPE_CHECKING:
    from stable_baselines3 import PPO

    from huracan.config import Settings
    from huracan.data.fingerprint import DataFingerprint
    from huracan.rl.split import WalkForwardSplit
    from huracan.timeframes import Timeframe
    from huracan.trading.config import EnvConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeedOutcome:
    """One trained seed, as logged.

    :param seed: the seed.
    :param validation_score: best validation value of the selection metric.
    :param best_timesteps: timesteps at the kept checkpoint.
    :param validation_metrics: all validation metrics of the kept checkpoint.
    :param run_id: its MLflow run.
    :param model_uri: its logged pyfunc model, ``models:/m-...``.
    :param policy_sha256: the digest of its weights (:func:`huracan.rl.fingerprint.policy_sha256`).
    """

    seed: int
    validation_score: float
    best_timesteps: int
    validation_metrics: dict[str, float]
    run_id: str
    model_uri: str
    policy_sha256: str


@dataclass(frozen=True)
class Registered:
    """The model a training registered: one seed's, or the ensemble of all its seeds.

    :param seeds: the seeds it decides with (one: that seed's model; more: their ensemble), in order.
    :param validation_score: its validation value of the selection metric (an ensemble is scored as a
        whole on the validation window, like a seed's checkpoint).
    :param validation_metrics: all its validation metrics.
    :param run_id: the run holding it: the seed's run, or for an ensemble the parent training run.
    :param model_uri: its logged pyfunc model, ``models:/m-...``.
    :param policy_sha256: the digest of its weights (:func:`huracan.rl.fingerprint.policy_sha256`).
    """

    seeds: tuple[int, ...]
    validation_score: float
    validation_metrics: dict[str, float]
    run_id: str
    model_uri: str
    policy_sha256: str

    @property
    def is_ensemble(self) -> bool:
        """More than one seed decides."""
        return len(self.seeds) > 1

    @property
    def seed(self) -> int | None:
        """The one seed of a single-seed model; None for an ensemble."""
        return None if self.is_ensemble else self.seeds[0]

    @property
    def label(self) -> str:
        """How it is shown: "seed 3" or "ensemble of seeds 0, 1, 2"."""
        if self.is_ensemble:
            return f"ensemble of seeds {', '.join(map(str, self.seeds))}"
        return f"seed {self.seeds[0]}"


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train_series` did.

    :param model_name: the registered model.
    :param version: the version registered as ``challenger``.
    :param group_run_id: the parent MLflow run of the seeds.
    :param registered: what was registered (the ensemble of the seeds, or the one seed's model).
    :param seeds: every seed trained, in the order given.
    :param split: the walk-forward windows.
    :param data: the fingerprint of the candles trained on.
    :param elapsed_s: wall time, s.
    :param reused: the registered model was identical to an existing version (same weights, candles and test
        window), which is ``version``; nothing new was registered.
    """

    model_name: str
    version: str
    group_run_id: str
    registered: Registered
    seeds: tuple[SeedOutcome, ...]
    split: WalkForwardSplit
    data: DataFingerprint
    elapsed_s: float = 0.0
    reused: bool = False


def train_series(
    settings: Settings,
    symbol: str,
    timeframe: Timeframe,
    seeds: Sequence[int] = (0,),
    start_ms: int | None = None,
    end_ms: int | None = None,
    train_config: TrainConfig = TrainConfig(),
    env_config: EnvConfig | None = None,
    run_label: str = "",
) -> TrainResult:
    """Train one model per seed on a stored, validated series and register their ensemble as ``challenger``.

    :param settings: store, MLflow and exchange settings.
    :param symbol: unified symbol, e.g. "BTC/USDT".
    :param timeframe: the series' timeframe.
    :param seeds: one model per seed, >= 1 distinct seeds.
    :param start_ms: first candle open time of the range (ms UTC, included); None: the first stored.
    :param end_ms: last candle open time of the range (ms UTC, included); None: the last stored.
    :param train_config: PPO and loop settings.
    :param env_config: capital, costs and reward shaping; default :class:`EnvConfig`.
    :param run_label: the Airflow DAG run starting the training (tagged on the parent run), or "".
    :raises DataQualityError: the series' latest validation did not pass (raised by the quality gate).
    :raises NoDataError: nothing is stored in the range.
    :raises TrainingError: too little data for the split, or bad options.
    """
    import mlflow
    from mlflow.entities import RunTag

    from huracan.numerics import numerics_label
    from huracan.registry import models
    from huracan.registry.metrics import eval_sink, log_metrics, train_sink
    from huracan.registry.tracking import configure_tracking, ensure_experiment
    from huracan.rl.batch_policy import SeedEnsemble
    from huracan.rl.fingerprint import code_version, policy_sha256
    from huracan.rl.pyfunc import observation_frame, observation_spec
    from huracan.trading.config import EnvConfig

    seed_list = check_seeds(seeds)
    started = time.monotonic()
    loaded = load_training_data(settings, symbol, timeframe, start_ms, end_ms, train_config)
    key, data, split = loaded.key, loaded.data, loaded.split
    env_config = env_config or EnvConfig()
    name = naming.model_name(key.symbol, timeframe)
    client = configure_tracking(settings)
    experiment_id = ensure_experiment(settings, client, naming.experiment_name(key.symbol, timeframe))
    version_text = code_version()
    params = TrainingParams(train_config, env_config, split, loaded.fingerprint, version_text, tuple(seed_list))
    group_tags = RunTags(
        role=Role.TRAINING,
        group_id=uuid.uuid4().hex,
        code_version=version_text,
        numerics=numerics_label(),
        exchange=key.exchange,
        symbol=key.symbol,
        timeframe=key.timeframe,
        registered_model=name,
        airflow_run_id=run_label or None,
    )
    spec = observation_spec(
        exchange=key.exchange, symbol=key.symbol, timeframe=key.timeframe, env_config=env_config_params(env_config)
    )
    example_rows = slice(split.validation.start_row, split.validation.start_row + 2)
    input_example = observation_frame(data.features[example_rows])
    outcomes: list[SeedOutcome] = []
    members: list[PPO] = []
    log.info(
        "training %s on %d candles (%s): train %d, validation %d, test %d decisions; seeds %s",
        key,
        loaded.fingerprint.rows,
        loaded.fingerprint.sha256[:12],
        split.train.n_decisions,
        split.validation.n_decisions,
        split.test.n_decisions,
        seed_list,
    )
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"train {key.symbol} {key.timeframe}") as parent:
        mlflow.set_tags(group_tags.to_tags())
        mlflow.log_params(params.to_params())
        for seed in seed_list:
            with mlflow.start_run(experiment_id=experiment_id, run_name=f"seed {seed}", nested=True) as run:
                run_id = run.info.run_id
                seed_tags = replace(group_tags, role=Role.SEED, seed=seed, airflow_run_id=None)
                mlflow.set_tags(seed_tags.to_tags())
                mlflow.log_params(replace(params, seed=seed).to_params())
                trained = train_seed(
                    data, split, seed, train_config, env_config, train_sink(client, run_id), eval_sink(client, run_id)
                )
                model_uri = models.log_policy(trained.model, spec, input_example)
                mlflow.set_tags(replace(seed_tags, model_uri=model_uri).to_tags())
                outcome = SeedOutcome(
                    seed,
                    trained.validation_score,
                    trained.best_timesteps,
                    trained.validation_metrics,
                    run_id,
                    model_uri,
                    policy_sha256(trained.model),
                )
                log_metrics(
                    client,
                    run_id,
                    {
                        f"{TRAIN_PREFIX}elapsed_s": trained.elapsed_s,
                        f"{EVAL_PREFIX}selected_score": outcome.validation_score,
                        f"{EVAL_PREFIX}selected_timesteps": outcome.best_timesteps,
                    },
                    step=train_config.timesteps,
                )
                outcomes.append(outcome)
                members.append(trained.model)
        if len(outcomes) == 1:
            only = outcomes[0]
            registered = Registered(
                (only.seed,),
                only.validation_score,
                only.validation_metrics,
                only.run_id,
                only.model_uri,
                only.policy_sha256,
            )
            selected_tags = replace(group_tags, role=Role.SEED, seed=only.seed, airflow_run_id=None, selected=True)
            selected_tags = replace(selected_tags, model_uri=only.model_uri)
            client.log_batch(only.run_id, tags=[RunTag(k, v) for k, v in selected_tags.to_tags().items()])
        else:
            ensemble = SeedEnsemble(tuple(members), tuple(o.seed for o in outcomes))
            scorer = validation_scorer(data, split.validation, training_env_config(env_config, train_config))
            metrics = {key: float(value) for key, value in scorer(ensemble).items()}
            registered = Registered(
                ensemble.seeds,
                metrics[train_config.selection_metric],
                metrics,
                parent.info.run_id,
                models.log_policy(ensemble, spec, input_example),
                policy_sha256(ensemble),
            )
            log_metrics(
                client, parent.info.run_id, {f"{EVAL_PREFIX}ensemble_{k}": v for k, v in metrics.items()}, step=0
            )
        version_tags = VersionTags(
            group_id=group_tags.group_id,
            seed=registered.seed,
            validation_metric=train_config.selection_metric,
            validation_score=registered.validation_score,
            test_start_ms=split.test.start_ms,
            test_end_ms=split.test.end_ms,
            data_sha256=loaded.fingerprint.sha256,
            code_version=version_text,
            numerics=group_tags.numerics,
            policy_sha256=registered.policy_sha256,
        )
        description = (
            f"PPO policy for {key.symbol} {key.timeframe} on {key.exchange}: {registered.label} "
            f"(validation {train_config.selection_metric} {registered.validation_score:.3f})"
        )
        version = models.register(
            client, name, registered.model_uri, registered.run_id, version_tags.to_tags(), description
        )
        done_tags = replace(
            group_tags,
            selected_seed=registered.seed,
            model_uri=registered.model_uri if registered.is_ensemble else None,
            registered_version=str(version.version),
        )
        mlflow.set_tags(done_tags.to_tags())
        scores = {f"{EVAL_PREFIX}seed_{o.seed}_score": o.validation_score for o in outcomes}
        log_metrics(
            client, parent.info.run_id, {**scores, f"{EVAL_PREFIX}selected_score": registered.validation_score}, step=0
        )
    return TrainResult(
        model_name=name,
        version=str(version.version),
        group_run_id=parent.info.run_id,
        registered=registered,
        seeds=tuple(outcomes),
        split=split,
        data=loaded.fingerprint,
        elapsed_s=time.monotonic() - started,
        reused=version.run_id != registered.run_id,
    )

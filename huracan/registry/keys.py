"""The MLflow key contract: every tag, param and metric namespace Huracan writes, built and parsed here.

Training, backtests, the promotion gate and ``huracan compare`` write and read MLflow runs and model
versions; a key spelled twice can drift and silently empty a column. So each key is written once, in
a typed record that converts to MLflow's strings and back:

- :class:`RunTags`: tags of a training run (role ``training``, the parent) and of its seed runs (role
  ``seed``): ``huracan.role``, ``huracan.group_id``, ``huracan.seed``, ``huracan.model_uri``, ...;
- :class:`VersionTags`: tags of a registered model version: the seed, validation score, test window,
  data hash and code version written at registration, ``huracan.previous_champion`` and
  ``huracan.rolled_back_at`` written by promotion and rollback;
- :class:`TrainingParams`: params of a training run and of each seed run: ``ppo.*`` (the
  :class:`~huracan.rl.train.TrainConfig`), ``env.*`` and ``costs.*`` (the
  :class:`~huracan.trading.config.EnvConfig`), ``split.<window>_{start,end}_{row,ms}`` (the
  walk-forward windows), ``data.*`` (the data fingerprint), ``code.version``, ``seeds`` and ``seed``.
  Readers that need one part parse it with :func:`window_from_params` and :func:`env_config_from_params`.

MLflow stores every tag and param as text; ``from_*`` parses what ``to_*`` wrote (round trip tested).
Records read from MLflow tolerate missing keys (runs logged by hand, or before a key existed): the
field is None, or the default for the env config.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from huracan.rl.split import WINDOW_NAMES, WalkForwardSplit, Window
from huracan.trading.config import EnvConfig
from huracan.trading.costs import CostModel

if TYPE_CHECKING:
    from huracan.data.fingerprint import DataFingerprint
    from huracan.rl.train import TrainConfig

# Metric namespaces.
TRAIN_PREFIX = "train/"
"""SB3's values per rollout (``train/value_loss``, ``train/rollout/ep_rew_mean``, ...) and the seed's run time."""
EVAL_PREFIX = "eval/"
"""Validation metrics per scoring, step = timesteps so far."""
BACKTEST_PREFIX = "backtest/"
"""Backtest metrics: ``backtest/<metric>`` and ``backtest/<baseline>/<metric>``."""

GATE_PREFIX = "gate."
"""Model-version tags of the promotion gate's last decision (:func:`huracan.registry.gate.decision_tags`)."""
GATE_SUMMARY: tuple[str, ...] = ("decision", "reason")
"""The gate tags ``huracan compare`` shows (after :data:`GATE_PREFIX`)."""
OWNER_TAGS: Mapping[str, str] = {"huracan": "true"}
"""Tags of the registered models (and experiments) Huracan creates."""
AIRFLOW_RUN_TAG = "airflow.run_id"
"""Run tag naming the Airflow DAG run that started a training run."""

_RUN = "huracan."
_WINDOW_FIELDS = ("start_row", "end_row", "start_ms", "end_ms")


class Role(StrEnum):
    """What a training-side MLflow run is: the parent of a group of seeds, or one seed's model."""

    TRAINING = "training"
    SEED = "seed"


def _int(text: str | None) -> int | None:
    return None if text is None or not text.lstrip("-").isdigit() else int(text)


def _float(text: str | None) -> float | None:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class RunTags:
    """Tags of a training run and of its seed runs (``huracan.<field>``, plus ``airflow.run_id``).

    :param role: training (the parent run) or seed.
    :param group_id: shared by a training run and its seed runs.
    :param code_version: :func:`huracan.rl.fingerprint.code_version` of the training.
    :param numerics: torch's floating-point path of the training (:func:`huracan.numerics.numerics_label`).
    :param exchange: ccxt exchange id of the series.
    :param symbol: unified symbol.
    :param timeframe: timeframe name.
    :param registered_model: the registered model the group's ensemble (or one seed) is registered as.
    :param seed: a seed run's seed.
    :param model_uri: a seed run's logged pyfunc model, ``models:/m-...``; on the training run, its
        ensemble of the seeds.
    :param selected: True on the seed run whose model was registered (a training of one seed).
    :param selected_seed: on the training run: the seed registered (a training of one seed).
    :param registered_version: on the training run: the version registered.
    :param airflow_run_id: on the training run: the Airflow DAG run that started it.
    """

    role: Role
    group_id: str
    code_version: str | None = None
    numerics: str | None = None
    exchange: str | None = None
    symbol: str | None = None
    timeframe: str | None = None
    registered_model: str | None = None
    seed: int | None = None
    model_uri: str | None = None
    selected: bool = False
    selected_seed: int | None = None
    registered_version: str | None = None
    airflow_run_id: str | None = None

    def to_tags(self) -> dict[str, str]:
        """The set fields as MLflow tags (None and ``selected=False`` are left out)."""
        tags: dict[str, str] = {}
        for name, value in asdict(self).items():
            if value is None or value is False:
                continue
            key = AIRFLOW_RUN_TAG if name == "airflow_run_id" else _RUN + name
            tags[key] = "true" if value is True else str(value)
        return tags

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> RunTags:
        """The record back from a run's tags.

        :raises KeyError: the run has no ``huracan.role`` or ``huracan.group_id`` (not a training run).
        """
        return cls(
            role=Role(tags[_RUN + "role"]),
            group_id=tags[_RUN + "group_id"],
            code_version=tags.get(_RUN + "code_version"),
            numerics=tags.get(_RUN + "numerics"),
            exchange=tags.get(_RUN + "exchange"),
            symbol=tags.get(_RUN + "symbol"),
            timeframe=tags.get(_RUN + "timeframe"),
            registered_model=tags.get(_RUN + "registered_model"),
            seed=_int(tags.get(_RUN + "seed")),
            model_uri=tags.get(_RUN + "model_uri"),
            selected=tags.get(_RUN + "selected") == "true",
            selected_seed=_int(tags.get(_RUN + "selected_seed")),
            registered_version=tags.get(_RUN + "registered_version"),
            airflow_run_id=tags.get(AIRFLOW_RUN_TAG),
        )


def seed_runs_filter(group_id: str) -> str:
    """MLflow ``search_runs`` filter for the seed runs of the training group ``group_id``."""
    return f"tags.`{_RUN}group_id` = '{group_id}' and tags.`{_RUN}role` = '{Role.SEED}'"


@dataclass(frozen=True)
class VersionTags:
    """Tags of a registered model version (``huracan.<field>``); None: not recorded.

    :param group_id: the training group the version comes from.
    :param seed: the seed it was trained with.
    :param validation_metric: the selection metric, and ``validation_score`` its best validation value.
    :param test_start_ms: its test window, decision times, ms UTC (``test_end_ms`` excluded).
    :param data_sha256: the fingerprint hash of the candles trained on.
    :param code_version: the code that trained it.
    :param numerics: torch's floating-point path it was trained on.
    :param policy_sha256: the digest of its weights (a retrain that changed nothing has the same).
    :param previous_champion: the version it replaced as champion (written when promoted).
    :param rolled_back_at: when it was demoted by a rollback, ISO-8601 UTC.
    """

    group_id: str | None = None
    seed: int | None = None
    validation_metric: str | None = None
    validation_score: float | None = None
    test_start_ms: int | None = None
    test_end_ms: int | None = None
    data_sha256: str | None = None
    code_version: str | None = None
    numerics: str | None = None
    policy_sha256: str | None = None
    previous_champion: str | None = None
    rolled_back_at: str | None = None

    def to_tags(self) -> dict[str, str]:
        """The set fields as MLflow tags (floats in their shortest exact form)."""
        return {_RUN + name: str(value) for name, value in asdict(self).items() if value is not None}

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> VersionTags:
        """The record back from a model version's tags."""
        return cls(
            group_id=tags.get(_RUN + "group_id"),
            seed=_int(tags.get(_RUN + "seed")),
            validation_metric=tags.get(_RUN + "validation_metric"),
            validation_score=_float(tags.get(_RUN + "validation_score")),
            test_start_ms=_int(tags.get(_RUN + "test_start_ms")),
            test_end_ms=_int(tags.get(_RUN + "test_end_ms")),
            data_sha256=tags.get(_RUN + "data_sha256"),
            code_version=tags.get(_RUN + "code_version"),
            numerics=tags.get(_RUN + "numerics"),
            policy_sha256=tags.get(_RUN + "policy_sha256"),
            previous_champion=tags.get(_RUN + "previous_champion"),
            rolled_back_at=tags.get(_RUN + "rolled_back_at"),
        )


def gate_tags(values: Mapping[str, str]) -> dict[str, str]:
    """The gate's ``values`` as model-version tags ``gate.<key>`` (each cut to MLflow's 5,000 characters)."""
    return {GATE_PREFIX + key: value[:5000] for key, value in values.items()}


def gate_values(tags: Mapping[str, str]) -> dict[str, str]:
    """The ``gate.*`` tags of a model version, without the prefix."""
    return {key.removeprefix(GATE_PREFIX): value for key, value in tags.items() if key.startswith(GATE_PREFIX)}


def backtest_key(metric: str, baseline: str | None = None, prefix: str = BACKTEST_PREFIX) -> str:
    """The metric key of a backtest: ``backtest/<metric>`` for the model, ``backtest/<baseline>/<metric>``
    for a baseline; ``prefix`` replaces ``backtest/`` for another window (``backtest/window_<from>_<to>/``)."""
    return f"{prefix}{metric}" if baseline is None else f"{prefix}{baseline}/{metric}"


def backtest_window_tags(window: str, start_ms: int, end_ms: int) -> dict[str, str]:
    """Run tags naming the window a backtest was logged for: ``backtest.<window>.{start,end}_ms``."""
    return {f"backtest.{window}.start_ms": str(start_ms), f"backtest.{window}.end_ms": str(end_ms)}


# --- params -------------------------------------------------------------------------------------

_ENV_FIELDS = (
    "initial_equity_quote",
    "episode_length",
    "random_start",
    "ruin_equity_frac",
    "turnover_penalty",
    "drawdown_penalty",
)
_COST_FIELDS = tuple(field.name for field in fields(CostModel) if field.init)
_DATA_INTS = ("first_ms", "last_ms", "rows")


def env_config_params(config: EnvConfig) -> dict[str, str | float | int | bool | None]:
    """``env.<field>`` and ``costs.<field>`` values of ``config`` (also the observation spec's env config)."""
    out: dict[str, str | float | int | bool | None] = {f"env.{name}": getattr(config, name) for name in _ENV_FIELDS}
    out.update({f"costs.{name}": getattr(config.costs, name) for name in _COST_FIELDS})
    return out


def env_config_from_params(params: Mapping[str, str]) -> EnvConfig:
    """The :class:`EnvConfig` logged by :func:`env_config_params` (MLflow params are strings).

    Params that are missing take the defaults, so runs logged before a field existed still load.
    """
    costs = {name: float(params[f"costs.{name}"]) for name in _COST_FIELDS if f"costs.{name}" in params}
    env: dict[str, object] = {}
    for name in _ENV_FIELDS:
        text = params.get(f"env.{name}")
        if text is None:
            continue
        if name == "episode_length":
            env[name] = None if text == "None" else int(text)
        elif name == "random_start":
            env[name] = text == "True"
        else:
            env[name] = float(text)
    return EnvConfig(costs=CostModel(**costs), **env)  # type: ignore[arg-type]


def split_params(split: WalkForwardSplit) -> dict[str, int]:
    """Flat ``split.<window>_{start,end}_{row,ms}`` values of the three windows."""
    return {f"split.{window.name}_{part}": getattr(window, part) for window in split.windows for part in _WINDOW_FIELDS}


def window_from_params(params: Mapping[str, str], name: str) -> Window | None:
    """The walk-forward window ``name`` (train, validation, test) logged by :func:`split_params`, or None."""
    if name not in WINDOW_NAMES:
        raise ValueError(f"window must be one of {WINDOW_NAMES}, got {name!r}")
    values = [_int(params.get(f"split.{name}_{part}")) for part in _WINDOW_FIELDS]
    if any(value is None for value in values):
        return None
    start_row, end_row, start_ms, end_ms = (int(value) for value in values if value is not None)
    return Window(name, start_row, end_row, start_ms, end_ms)


def seed_from_params(params: Mapping[str, str]) -> int | None:
    """The ``seed`` param of a seed run, or None."""
    return _int(params.get("seed"))


_PPO_ADDED_LATER: dict[str, object] = {"variance_penalty": 0.0}
"""TrainConfig fields that runs logged before them lack, with the value those runs trained with."""


def _ppo_value(text: str, default: object) -> object:
    """A ``ppo.*`` param back to the type of its :class:`TrainConfig` default (tuples, ints, floats, text)."""
    if isinstance(default, tuple):
        return tuple(ast.literal_eval(text))
    if isinstance(default, int):
        return int(text)
    if isinstance(default, float):
        return float(text)
    return text


@dataclass(frozen=True)
class TrainingParams:
    """Params of a training run, and of each of its seed runs (with ``seed``).

    :param train_config: PPO and loop settings, as ``ppo.<field>``.
    :param env_config: capital, costs and reward shaping, as ``env.<field>`` and ``costs.<field>``.
    :param split: the walk-forward windows, as ``split.<window>_<part>``.
    :param data: the fingerprint of the candles, as ``data.<field>``.
    :param code_version: as ``code.version``.
    :param seeds: every seed of the group, as ``seeds`` ("3,1,2").
    :param seed: a seed run's own seed (None on the training run).
    """

    train_config: TrainConfig
    env_config: EnvConfig
    split: WalkForwardSplit
    data: DataFingerprint
    code_version: str
    seeds: tuple[int, ...]
    seed: int | None = None

    def to_params(self) -> dict[str, object]:
        """The params, values as MLflow will stringify them."""
        params: dict[str, object] = {f"ppo.{name}": value for name, value in asdict(self.train_config).items()}
        params.update(env_config_params(self.env_config))
        params.update(split_params(self.split))
        params.update({f"data.{name}": value for name, value in asdict(self.data).items()})
        params["code.version"] = self.code_version
        params["seeds"] = ",".join(map(str, self.seeds))
        if self.seed is not None:
            params["seed"] = self.seed
        return params

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> TrainingParams:
        """The record back from a run's params (all written by :meth:`to_params`).

        :raises KeyError: a param is missing (the run was not logged by ``huracan train``).
        """
        from huracan.data.fingerprint import DataFingerprint
        from huracan.rl.train import TrainConfig

        defaults = TrainConfig()
        values: dict[str, Any] = {}
        for field in fields(TrainConfig):
            key = f"ppo.{field.name}"
            if key not in params and field.name in _PPO_ADDED_LATER:
                values[field.name] = _PPO_ADDED_LATER[field.name]
            else:
                values[field.name] = _ppo_value(params[key], getattr(defaults, field.name))
        config = TrainConfig(**values)
        windows = [window_from_params(params, name) for name in WINDOW_NAMES]
        if any(window is None for window in windows):
            raise KeyError("split")
        train, validation, test = (window for window in windows if window is not None)
        data = {field.name: params[f"data.{field.name}"] for field in fields(DataFingerprint)}
        return cls(
            train_config=config,
            env_config=env_config_from_params(params),
            split=WalkForwardSplit(train, validation, test),
            data=DataFingerprint(**{k: int(v) if k in _DATA_INTS else v for k, v in data.items()}),  # type: ignore[arg-type]
            code_version=params["code.version"],
            seeds=tuple(int(seed) for seed in params["seeds"].split(",")),
            seed=seed_from_params(params),
        )

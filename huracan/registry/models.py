"""Logged and registered Huracan models: log a policy, register it, and resolve a model reference.

One registered model per symbol and timeframe (:func:`~huracan.registry.naming.model_name`); each
training registers one version and points the alias ``challenger`` at it. A model reference is
resolved to a :class:`ModelRef`: its URI, registered name and version (when registered), aliases, and
the training run (params hold the walk-forward windows, the env config and the data fingerprint).
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from huracan.errors import ModelNotFoundError
from huracan.registry.keys import OWNER_TAGS, VersionTags, env_config_from_params, window_from_params
from huracan.registry.naming import CHALLENGER, CHAMPION

if TYPE_CHECKING:
    import pandas as pd
    from mlflow.entities.model_registry import ModelVersion
    from stable_baselines3 import PPO

    from huracan.rl.batch_policy import SeedEnsemble
    from huracan.rl.split import Window
    from huracan.trading.config import EnvConfig

log = logging.getLogger(__name__)

POLICY_ARTIFACT = "policy"
"""Name of the pyfunc model inside its run (``log_model(name=...)``)."""
_MODEL_CODE = """\
# The Huracan policy as an MLflow model from code: loading it needs the huracan package installed.
import mlflow.models

from huracan.rl.pyfunc import PolicyModel

mlflow.models.set_model(PolicyModel())
"""
_REQUIREMENTS = ("stable-baselines3", "torch", "gymnasium", "numpy", "pandas", "mlflow")


def pip_requirements() -> list[str]:
    """Pinned requirements of a logged policy (the installed versions); given explicitly so MLflow does
    not infer them by loading the model in a subprocess."""
    pins = []
    for name in _REQUIREMENTS:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:  # pragma: no cover - all are dependencies
            pins.append(name)
    return pins


def log_policy(model: PPO | SeedEnsemble, spec: dict[str, Any], input_example: pd.DataFrame) -> str:
    """Log ``model`` as a pyfunc model in the active MLflow run; return its ``models:/m-...`` URI.

    :param model: the trained PPO, or an ensemble of seeds (one zip per member, its seeds in the spec).
    :param spec: the observation spec (:func:`huracan.rl.pyfunc.observation_spec`), saved as JSON.
    :param input_example: a few observation rows (:func:`huracan.rl.pyfunc.observation_frame`); the
        signature is inferred from it and the model's prediction on it.
    """
    import mlflow
    from mlflow.models import infer_signature

    from huracan.rl.batch_policy import SeedEnsemble
    from huracan.rl.pyfunc import ENSEMBLE_SEEDS, OBSERVATION_SPEC, SB3_ZIP, member_artifact

    with tempfile.TemporaryDirectory(prefix="huracan-policy-") as tmp:
        zips: dict[str, str] = {}
        if isinstance(model, SeedEnsemble):
            spec = {**spec, ENSEMBLE_SEEDS: list(model.seeds)}
            for index, member in enumerate(model.members):
                zips[member_artifact(index)] = str(Path(tmp) / f"ppo-{index}.zip")
                member.save(zips[member_artifact(index)])
        else:
            zips[SB3_ZIP] = str(Path(tmp) / "ppo.zip")
            model.save(zips[SB3_ZIP])
        spec_path = Path(tmp) / "observation_spec.json"
        spec_path.write_text(json.dumps(spec, indent=2, sort_keys=True))
        code_path = Path(tmp) / "huracan_policy.py"
        code_path.write_text(_MODEL_CODE)
        actions = np.asarray(model.predict(input_example.to_numpy(np.float32), deterministic=True)[0], dtype=np.int64)
        levels = np.asarray(spec["exposure_levels"], dtype=np.float64)
        output = input_example.iloc[:, :0].assign(action=actions, target_exposure_frac=levels[actions])
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*[Ii]nteger column", category=UserWarning)
            info = mlflow.pyfunc.log_model(
                name=POLICY_ARTIFACT,
                python_model=str(code_path),
                artifacts={**zips, OBSERVATION_SPEC: str(spec_path)},
                signature=infer_signature(input_example, output),
                input_example=input_example,
                pip_requirements=pip_requirements(),
            )
    return str(info.model_uri)


def register(
    client: MlflowClient, name: str, model_uri: str, run_id: str, tags: dict[str, str], description: str
) -> ModelVersion:
    """Register ``model_uri`` as a new version of ``name`` (created if needed) and alias it ``challenger``.

    A version identical to an existing one (the same weights, trained on the same candles and test
    window: a rerun on the same day) is not registered again: the existing version is returned, and
    aliased ``challenger`` unless it is the ``champion``, so the gate judges it again.
    """
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name, tags=dict(OWNER_TAGS), description=description)
    twin = _identical_version(client, name, tags)
    if twin is not None:
        if CHAMPION not in twin.aliases:
            client.set_registered_model_alias(name, CHALLENGER, twin.version)
        log.info(
            "%s: identical to version %s (same weights, candles and test window); none registered", name, twin.version
        )
        return twin
    model_id = model_uri.removeprefix("models:/") if model_uri.startswith("models:/m-") else None
    version = client.create_model_version(
        name, model_uri, run_id=run_id, tags=tags, description=description, model_id=model_id
    )
    client.set_registered_model_alias(name, CHALLENGER, version.version)
    log.info("registered %s version %s as %s", name, version.version, CHALLENGER)
    return version


def _identical_version(client: MlflowClient, name: str, tags: dict[str, str]) -> ModelVersion | None:
    """The newest version of ``name`` whose weights, data and test window tags equal ``tags``' (all set)."""
    keys = [f"huracan.{field}" for field in ("policy_sha256", "data_sha256", "test_start_ms", "test_end_ms")]
    if not all(tags.get(key) for key in keys):
        return None
    for version in sorted(client.search_model_versions(f"name = '{name}'"), key=lambda v: -int(v.version)):
        if all(version.tags.get(key) == tags[key] for key in keys):
            return client.get_model_version(name, version.version)  # with its aliases
    return None


@dataclass(frozen=True)
class ModelRef:
    """A resolved model.

    :param uri: a URI ``mlflow.pyfunc.load_model`` accepts (``models:/name/version`` when registered).
    :param run_id: the training run that logged the model.
    :param params: that run's params (strings).
    :param name: registered model name, or None for an unregistered logged model.
    :param version: registered version, or None.
    :param aliases: the version's aliases.
    :param tags: the version's tags (empty when unregistered).
    """

    uri: str
    run_id: str
    params: dict[str, str]
    name: str | None = None
    version: str | None = None
    aliases: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``name v3 (champion)``, or the URI of an unregistered model."""
        if self.name is None:
            return self.uri
        aliases = f" ({', '.join(self.aliases)})" if self.aliases else ""
        return f"{self.name} v{self.version}{aliases}"

    def window(self, name: str = "test") -> Window:
        """The walk-forward window ``name`` ("train", "validation", "test") recorded by training."""
        window = window_from_params(self.params, name)
        if window is None:
            raise ModelNotFoundError(f"the training run {self.run_id} of {self.label} records no {name} window")
        return window

    def env_config(self) -> EnvConfig:
        """The env config (capital, cost model) the model was trained with."""
        return env_config_from_params(self.params)

    @property
    def version_tags(self) -> VersionTags:
        """The version's Huracan tags (all None for an unregistered model)."""
        return VersionTags.from_tags(self.tags)


def _version_ref(client: MlflowClient, version: ModelVersion) -> ModelRef:
    if not version.run_id:
        raise ModelNotFoundError(
            f"{version.name} v{version.version} has no training run; it was not made by huracan train"
        )
    run = client.get_run(version.run_id)
    return ModelRef(
        uri=f"models:/{version.name}/{version.version}",
        run_id=version.run_id,
        params=dict(run.data.params),
        name=version.name,
        version=str(version.version),
        aliases=tuple(version.aliases),
        tags=dict(version.tags),
    )


def version_ref(client: MlflowClient, name: str, version: str | int) -> ModelRef:
    """The registered version ``version`` of ``name``."""
    try:
        found = client.get_model_version(name, str(version))
    except MlflowException:
        raise ModelNotFoundError(f"{name} has no version {version}") from None
    return _version_ref(client, found)


def alias_ref(client: MlflowClient, name: str, alias: str) -> ModelRef | None:
    """The version of ``name`` that ``alias`` points at, or None (no such model or alias)."""
    try:
        found = client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None
    return _version_ref(client, found)


_MODELS_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))?$")
_RUNS_URI = re.compile(r"^runs:/(?P<run>[^/]+)/")


def resolve(client: MlflowClient, name: str, model: str | None = None) -> ModelRef:
    """Resolve what the user named as the model of the registered model ``name``.

    :param model: ``None`` (the ``challenger``, else the ``champion``), an alias (``champion`` or
        ``@champion``), a version number (``3``), or a URI: ``models:/<name>@<alias>``,
        ``models:/<name>/<version>``, ``models:/m-<id>`` (a logged model) or ``runs:/<run id>/policy``.
    :raises ModelNotFoundError: naming what was looked for.
    """
    if model is None:
        for alias in (CHALLENGER, CHAMPION):
            ref = alias_ref(client, name, alias)
            if ref is not None:
                return ref
        raise ModelNotFoundError(f"{name} has no {CHALLENGER} or {CHAMPION}; train one with `huracan train`")
    text = model.strip()
    if text.isdigit():
        return version_ref(client, name, text)
    if ":/" in text and not text.startswith(("models:/", "runs:/")):
        raise ModelNotFoundError(f"{model!r} is not a model URI (models:/..., runs:/...), an alias or a version")
    if not text.startswith(("models:/", "runs:/")):
        alias = text.removeprefix("@")
        ref = alias_ref(client, name, alias)
        if ref is None:
            raise ModelNotFoundError(f"{name} has no version with alias {alias!r}")
        return ref
    match = _MODELS_URI.match(text)
    if match and (match["alias"] or match["version"]):
        if match["version"]:
            return version_ref(client, match["name"], match["version"])
        ref = alias_ref(client, match["name"], match["alias"])
        if ref is None:
            raise ModelNotFoundError(f"{match['name']} has no version with alias {match['alias']!r}")
        return ref
    if match:  # models:/m-<id>: a logged model, maybe unregistered
        try:
            logged = client.get_logged_model(match["name"])
        except MlflowException:
            raise ModelNotFoundError(f"no logged model {match['name']!r}") from None
        run_id = logged.source_run_id
    elif runs := _RUNS_URI.match(text):
        run_id = runs["run"]
    else:
        raise ModelNotFoundError(f"{model!r} is not a model URI (models:/..., runs:/...), an alias or a version")
    if not run_id:
        raise ModelNotFoundError(f"{model} was not logged by a training run")
    try:
        run = client.get_run(run_id)
    except MlflowException:
        raise ModelNotFoundError(f"no MLflow run {run_id}") from None
    return ModelRef(uri=text, run_id=run_id, params=dict(run.data.params))


def load_policy(ref: ModelRef) -> PPO | SeedEnsemble:
    """The stable-baselines3 PPO, or the ensemble of seeds, behind ``ref`` (loaded through its pyfunc
    wrapper, CPU, one thread)."""
    import mlflow.pyfunc

    try:
        loaded = mlflow.pyfunc.load_model(ref.uri)
    except MlflowException as exc:
        raise ModelNotFoundError(f"cannot load {ref.label}: {exc}") from exc
    return loaded.unwrap_python_model().model

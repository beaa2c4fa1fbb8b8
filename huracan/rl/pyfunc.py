"""The trained policy as an MLflow ``pyfunc`` model (MLflow has no stable-baselines3 flavor).

A logged Huracan model holds two artifacts:

- ``sb3_zip``: the stable-baselines3 PPO zip (``PPO.load``); an ensemble of seeds
  (:class:`~huracan.rl.batch_policy.SeedEnsemble`) has one zip per member instead, ``sb3_zip_0``,
  ``sb3_zip_1``, ..., and its spec lists the members' seeds (``ensemble_seeds``);
- ``observation_spec``: JSON naming the 80 observation columns in order, the exposure levels the actions
  stand for, the feature clip and warm-up, and the series and env config the policy was trained on.

``mlflow.pyfunc.load_model("models:/huracan-BTC-USDT-1d@champion").predict(frame)`` takes a DataFrame
with those 80 columns (in any order; one observation per row, as built by
:mod:`huracan.features.observation`) and returns a DataFrame with ``action`` (int64, 0..5) and
``target_exposure_frac`` (the exposure that action targets), one row per input row, deterministic (an
ensemble's action is the one with the largest mean probability over its members).
Rows with NaN or infinite values (e.g. before the features' warm-up) are refused with a ValueError.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel, PythonModelContext

from huracan.features.catalog import FEATURE_CLIP, LOOKBACK_ROWS, MARKET_FEATURE_NAMES, WARMUP_ROWS
from huracan.features.observation import EXPOSURE_LEVELS, N_OBS, POSITION_FEATURE_NAMES

SB3_ZIP = "sb3_zip"
ENSEMBLE_SEEDS = "ensemble_seeds"
"""The spec's key listing an ensemble's members' seeds (absent for one model)."""
OBSERVATION_SPEC = "observation_spec"
OBSERVATION_COLUMNS: tuple[str, ...] = (*MARKET_FEATURE_NAMES, *POSITION_FEATURE_NAMES)
"""The 80 input columns of the pyfunc model, in observation order."""
SPEC_VERSION = 1


def observation_spec(**context: Any) -> dict[str, Any]:
    """The ``observation_spec`` artifact: the observation layout plus ``context`` (series, env config)."""
    return {
        "spec_version": SPEC_VERSION,
        "columns": list(OBSERVATION_COLUMNS),
        "n_obs": N_OBS,
        "exposure_levels": list(EXPOSURE_LEVELS),
        "feature_clip": FEATURE_CLIP,
        "warmup_rows": WARMUP_ROWS,
        "lookback_rows": LOOKBACK_ROWS,
        **context,
    }


def member_artifact(index: int) -> str:
    """The artifact name of an ensemble's member ``index`` (0-based, in seed order)."""
    return f"{SB3_ZIP}_{index}"


def observation_frame(observations: np.ndarray) -> pd.DataFrame:
    """Observations (n, 80) as the pyfunc model's input frame (float32 columns named in order)."""
    observations = np.asarray(observations, dtype=np.float32)
    if observations.ndim != 2 or observations.shape[1] != N_OBS:
        raise ValueError(f"observations must have shape (n, {N_OBS}), got {observations.shape}")
    return pd.DataFrame(observations, columns=list(OBSERVATION_COLUMNS))


class PolicyModel(PythonModel):
    """A PPO policy from its SB3 zip, or an ensemble of seeds from its members' zips; ``predict`` maps
    observation rows to deterministic actions."""

    def load_context(self, context: PythonModelContext) -> None:
        import torch
        from stable_baselines3 import PPO

        from huracan.rl.batch_policy import SeedEnsemble

        torch.set_num_threads(1)
        self.spec = json.loads(Path(context.artifacts[OBSERVATION_SPEC]).read_text())
        seeds = self.spec.get(ENSEMBLE_SEEDS)
        self.model: PPO | SeedEnsemble
        if seeds:
            members = tuple(PPO.load(context.artifacts[member_artifact(i)], device="cpu") for i in range(len(seeds)))
            self.model = SeedEnsemble(members, tuple(int(seed) for seed in seeds))
        else:
            self.model = PPO.load(context.artifacts[SB3_ZIP], device="cpu")
        self._columns = list(self.spec["columns"])
        self._levels = np.asarray(self.spec["exposure_levels"], dtype=np.float64)

    def predict(
        self,
        context: PythonModelContext | None,
        model_input: pd.DataFrame,
        params: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        missing = [name for name in self._columns if name not in model_input.columns]
        if missing:
            raise ValueError(f"the input lacks {len(missing)} observation columns, e.g. {missing[:3]}")
        obs = model_input[self._columns].to_numpy(dtype=np.float32)
        if not np.isfinite(obs).all():
            bad = int((~np.isfinite(obs).all(axis=1)).sum())
            raise ValueError(
                f"{bad} input rows hold NaN or infinite values (rows before the features' warm-up are NaN)"
            )
        if len(obs) == 0:
            actions = np.empty(0, dtype=np.int64)
        else:
            actions = np.asarray(self.model.predict(obs, deterministic=True)[0], dtype=np.int64).reshape(len(obs))
        return pd.DataFrame({"action": actions, "target_exposure_frac": self._levels[actions]}, index=model_input.index)

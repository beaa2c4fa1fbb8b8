"""The env config of a training run as flat MLflow params, and back.

A backtest or the promotion gate replays a model with the cost model and capital it was trained with;
both are read back from the run's ``env.*`` and ``costs.*`` params.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields

from huracan.trading.config import EnvConfig
from huracan.trading.costs import CostModel

_ENV_FIELDS = (
    "initial_equity_quote",
    "episode_length",
    "random_start",
    "ruin_equity_frac",
    "turnover_penalty",
    "drawdown_penalty",
)


def env_config_params(config: EnvConfig) -> dict[str, str | float | int | bool | None]:
    """``env.<field>`` and ``costs.<field>`` values of ``config``."""
    out: dict[str, str | float | int | bool | None] = {f"env.{name}": getattr(config, name) for name in _ENV_FIELDS}
    for field in fields(CostModel):
        if field.init:
            out[f"costs.{field.name}"] = getattr(config.costs, field.name)
    return out


def env_config_from_params(params: Mapping[str, str]) -> EnvConfig:
    """The :class:`EnvConfig` logged by :func:`env_config_params` (MLflow params are strings).

    Params that are missing take the defaults, so runs logged before a field existed still load.
    """
    costs = {
        field.name: float(params[f"costs.{field.name}"])
        for field in fields(CostModel)
        if field.init and f"costs.{field.name}" in params
    }
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

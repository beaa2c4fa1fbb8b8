"""Huracan: a reinforcement-learning crypto trading pipeline orchestrated by Airflow.

Importing the package stays cheap: it loads no third-party module at all (no numpy, gymnasium, pandas,
torch, stable-baselines3, mlflow, great_expectations or ccxt), since Airflow DAG files import it at
parse time. Users of the gymnasium env call :func:`register_envs` once, then
``gymnasium.make("Huracan-v0", candles=frame)`` works.

It pins torch's floating-point path before anything can load torch (:mod:`huracan.numerics`): a seed
trains the same model on any x86-64 machine.
"""

from huracan.numerics import pin_numerics

__version__ = "0.1.0"

pin_numerics()


def register_envs() -> None:
    """Register the trading env with gymnasium as ``Huracan-v0`` (idempotent).

    Registration is by entry-point string: the env module, pandas and the feature code load only when an
    env is made.
    """
    from gymnasium.envs.registration import register, registry

    if "Huracan-v0" not in registry:
        register(id="Huracan-v0", entry_point="huracan.trading.env:TradingEnv")

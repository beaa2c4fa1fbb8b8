"""Huracan: a reinforcement-learning crypto trading pipeline orchestrated by Airflow.

Importing the package registers the trading env as ``Huracan-v0`` with gymnasium (by entry-point string:
the env module, pandas and the feature code load only when an env is made), so that
``gymnasium.make("Huracan-v0", candles=frame)`` works after ``import huracan``. Importing it stays cheap:
it never loads pandas, torch, stable-baselines3, mlflow, great_expectations or ccxt (Airflow DAG files
import it at parse time).
"""

__version__ = "0.1.0"


def _register_envs() -> None:
    try:
        from gymnasium.envs.registration import register, registry
    except ImportError:  # pragma: no cover - gymnasium is a runtime dependency; keep the package importable
        return
    if "Huracan-v0" not in registry:
        register(id="Huracan-v0", entry_point="huracan.trading.env:TradingEnv")


_register_envs()

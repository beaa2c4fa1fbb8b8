"""Huracan: a reinforcement-learning crypto trading pipeline orchestrated by Airflow."""

__version__ = "0.1.0"

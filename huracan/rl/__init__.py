"""Reinforcement learning: PPO training (stable-baselines3), the walk-forward split, seeding, the MLflow
pyfunc policy wrapper and fast batched policy evaluation.

Import the modules directly (``huracan.rl.train``, ``huracan.rl.split``, ...): this package imports
nothing, so that loading it never loads torch, stable-baselines3 or mlflow.
"""

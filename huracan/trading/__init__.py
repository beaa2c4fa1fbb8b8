"""Trading: the one cost/fill model, the gymnasium env and its vectorised twin.

Import the modules directly (``huracan.trading.env``, ``huracan.trading.vec_env``); this package does not
import them, so that loading the env does not load stable-baselines3 and torch.
"""

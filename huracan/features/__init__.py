"""The one observation builder, used by training, backtest and live inference.

- :mod:`huracan.features.candles`: the candle-frame contract and its check.
- :mod:`huracan.features.catalog`: the 77 market features (name, formula, window, scale), the warm-up.
- :mod:`huracan.features.market`: :func:`build_market_features`, the (n, 77) float32 matrix.
- :mod:`huracan.features.observation`: the 3 position features and the 80-value observation, also for
  every position at once (:func:`observations_all_positions`).

No module here imports pandas at import time. The package re-exports only names that do not shadow
its submodules (``observation`` is the module; its function is ``huracan.features.observation.observation``).
"""

from huracan.features.candles import CandleFrameError, check_candles
from huracan.features.catalog import (
    LOOKBACK_ROWS,
    MARKET_FEATURE_NAMES,
    MARKET_FEATURES,
    N_MARKET_FEATURES,
    WARMUP_ROWS,
)
from huracan.features.market import build_market_features
from huracan.features.observation import EXPOSURE_LEVELS, N_OBS, N_POSITIONS, observations_all_positions

__all__ = [
    "EXPOSURE_LEVELS",
    "LOOKBACK_ROWS",
    "MARKET_FEATURES",
    "MARKET_FEATURE_NAMES",
    "N_MARKET_FEATURES",
    "N_OBS",
    "N_POSITIONS",
    "WARMUP_ROWS",
    "CandleFrameError",
    "build_market_features",
    "check_candles",
    "observations_all_positions",
]

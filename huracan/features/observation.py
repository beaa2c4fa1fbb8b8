"""The full 80-value observation: 77 market features plus 3 position features.

The position part is a function of the exposure level index alone (0..5 for target exposure 0, 0.2, ..,
1.0), so it takes exactly ``N_POSITIONS = 6`` values. That is all the agent's past that matters for
what its next action does: the cost of moving to level j depends on how far j is from the current
level (no trade at all when equal). Equity, drift since the last trade and P&L are left out on purpose:
they are continuous, would make the observation depend on the path and on the initial capital, and a
backtester could no longer evaluate a policy for every position in one batched forward pass
(:func:`observations_all_positions`).

Columns 77..79:

| index | name              | formula                       | values            |
|-------|-------------------|-------------------------------|-------------------|
| 77    | exposure_frac     | ``EXPOSURE_LEVELS[level]``    | 0, 0.2, .., 1.0   |
| 78    | is_flat           | 1 if level == 0 else 0        | 0, 1              |
| 79    | is_fully_invested | 1 if level == 5 else 0        | 0, 1              |

The two flags mark the levels where only one direction of trade is possible.
"""

from __future__ import annotations

import numpy as np

from huracan.features.catalog import N_MARKET_FEATURES

EXPOSURE_LEVELS: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
"""Target exposure (fraction of equity held in the base asset) of each action / level index."""
N_POSITIONS: int = len(EXPOSURE_LEVELS)
POSITION_FEATURE_NAMES: tuple[str, ...] = ("exposure_frac", "is_flat", "is_fully_invested")
N_POSITION_FEATURES: int = len(POSITION_FEATURE_NAMES)
N_OBS: int = N_MARKET_FEATURES + N_POSITION_FEATURES

POSITION_FEATURES: np.ndarray = np.array(
    [[level_frac, float(i == 0), float(i == N_POSITIONS - 1)] for i, level_frac in enumerate(EXPOSURE_LEVELS)],
    dtype=np.float32,
)
"""``POSITION_FEATURES[level]`` is the position part (3 values) for that level; shape (6, 3), read-only."""
POSITION_FEATURES.flags.writeable = False

POSITION_ROWS: np.ndarray = np.zeros((N_POSITIONS, N_OBS), dtype=np.float32)
"""``POSITION_ROWS[level]``: 80 values, zero in the market columns, the position part in columns 77..79.
Adding it to a row of :func:`pad_market` gives the observation with one numpy operation."""
POSITION_ROWS[:, N_MARKET_FEATURES:] = POSITION_FEATURES
POSITION_ROWS.flags.writeable = False


def _check_market(market: np.ndarray) -> np.ndarray:
    market = np.asarray(market)
    if market.ndim != 2 or market.shape[1] != N_MARKET_FEATURES:
        raise ValueError(f"market features must have shape (n_rows, {N_MARKET_FEATURES}), got {market.shape}")
    return market


def _check_level(level: int) -> int:
    if not 0 <= level < N_POSITIONS:
        raise ValueError(f"exposure level index must be in 0..{N_POSITIONS - 1}, got {level}")
    return int(level)


def pad_market(market: np.ndarray) -> np.ndarray:
    """``market`` (n, 77) widened to (n, 80) float32 with zeros in the position columns."""
    market = _check_market(market)
    out = np.zeros((len(market), N_OBS), dtype=np.float32)
    out[:, :N_MARKET_FEATURES] = market
    return out


def observation(market_row: np.ndarray, level: int) -> np.ndarray:
    """The 80-value observation for one market row (77 values) and an exposure level index (0..5)."""
    market_row = np.asarray(market_row, dtype=np.float32)
    if market_row.shape != (N_MARKET_FEATURES,):
        raise ValueError(f"a market row must have shape ({N_MARKET_FEATURES},), got {market_row.shape}")
    return np.concatenate([market_row, POSITION_FEATURES[_check_level(level)]])


def observations(market: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Observations (n, 80) for market rows (n, 77) and one level index per row (n,)."""
    market = _check_market(market)
    levels = np.asarray(levels)
    if levels.shape != (len(market),) or levels.min(initial=0) < 0 or levels.max(initial=0) >= N_POSITIONS:
        raise ValueError(f"levels must be {len(market)} integers in 0..{N_POSITIONS - 1}")
    return np.concatenate([market.astype(np.float32, copy=False), POSITION_FEATURES[levels]], axis=1)


def observations_all_positions(market: np.ndarray) -> np.ndarray:
    """Observations for every row and every position: shape (n, 6, 80), float32.

    ``out[t, level]`` is exactly what the env observes at row t holding ``level``, so a backtester can
    evaluate a policy for all positions with one forward pass over ``out.reshape(-1, 80)`` and then
    follow its own path through the (n, 6) table of actions.
    """
    market = _check_market(market)
    out = np.empty((len(market), N_POSITIONS, N_OBS), dtype=np.float32)
    out[:, :, :N_MARKET_FEATURES] = market[:, None, :]
    out[:, :, N_MARKET_FEATURES:] = POSITION_FEATURES[None, :, :]
    return out

"""The trading environment: one spot market, long only, six exposure levels, costs in the reward."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, NoReturn

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from huracan.features.catalog import FEATURE_CLIP
from huracan.features.observation import EXPOSURE_LEVELS, N_OBS, N_POSITIONS, POSITION_ROWS
from huracan.trading import accounting
from huracan.trading.config import EnvConfig
from huracan.trading.market_data import MarketData

if TYPE_CHECKING:
    import pandas as pd

    from huracan.timeframes import Timeframe

LEVEL_OF_ACTION: dict[Any, int] = {i: i for i in range(N_POSITIONS)}
"""Valid actions (ints, numpy ints and integral floats hash alike) mapped to their level index."""


def observation_space() -> spaces.Box:
    """The observation space shared by the single and the vectorised env: 80 float32 in [-10, 10]."""
    return spaces.Box(low=-FEATURE_CLIP, high=FEATURE_CLIP, shape=(N_OBS,), dtype=np.float32)


def start_range(data: MarketData, config: EnvConfig) -> tuple[int, int]:
    """First and last row (inclusive) an episode may start at under ``config``; warns when the data
    is too short for ``config.episode_length`` (every episode then runs to the end of the data)."""
    first = data.first_row
    if config.episode_length is not None and config.episode_length > data.n_decisions:
        warnings.warn(
            f"episode_length {config.episode_length} exceeds the {data.n_decisions} decisions the candles "
            f"allow after the warm-up; every episode starts at row {first} and is truncated at the end of "
            "the data (pass more candles or a shorter episode_length)",
            stacklevel=3,
        )
    if config.episode_length is None or not config.random_start:
        return first, first
    return first, max(first, data.n_rows - 1 - config.episode_length)


class TradingEnv(gym.Env[np.ndarray, np.int64]):
    """
    ## Description

    One spot market (e.g. BTC/USDT) replayed candle by candle. After each candle closes the agent picks
    a target exposure: the fraction of its equity held in the base asset, long only, no leverage. A
    change of target is traded at the next candle's open through the one cost model
    (:class:`huracan.trading.costs.CostModel`: taker fee, half the spread, square-root slippage against
    the closed candle's volume); equity is then marked at that next candle's close.

    ## Action Space

    `Discrete(6)`: action `i` sets the target exposure to `EXPOSURE_LEVELS[i]`.

    | Action | Target exposure (fraction of equity in the base asset) |
    |--------|--------------------------------------------------------|
    | 0      | 0.0 (all cash)                                         |
    | 1      | 0.2                                                    |
    | 2      | 0.4                                                    |
    | 3      | 0.6                                                    |
    | 4      | 0.8                                                    |
    | 5      | 1.0 (all in)                                           |

    Repeating the current level does not trade: the exposure then drifts with the price.

    ## Observation Space

    `Box(-10, 10, (80,), float32)`, the observation of row t (the candle that just closed):

    | Num    | Observation                                   | Min | Max | Units                           |
    |--------|-----------------------------------------------|-----|-----|---------------------------------|
    | 0..76  | market features, see `docs/features.md`       | -10 | 10  | scale-free, see the table       |
    | 77     | exposure_frac: target exposure of the level   | 0   | 1   | fraction of equity              |
    | 78     | is_flat: 1 at level 0                         | 0   | 1   | flag                            |
    | 79     | is_fully_invested: 1 at level 5               | 0   | 1   | flag                            |

    The market part uses candles closed at or before row t only, and never the agent's actions; the
    position part depends only on the level (see :mod:`huracan.features.observation`).

    ## Rewards

    `ln(equity_t+1 / equity_t)`, equity in quote currency marked at the close, after fees, spread and
    slippage. Optional shaping, off by default: `- turnover_penalty * |target change|` and
    `- drawdown_penalty * (1 - equity / episode peak equity)`.

    ## Starting State

    Cash `config.initial_equity_quote`, no position (level 0), at a row drawn uniformly from
    `self.np_random` among the rows at or after the features' warm-up (`WARMUP_ROWS`, row 263, in
    `huracan.features.catalog`) that leave room for `config.episode_length` steps; the first such row when
    `config.random_start` is False or `config.episode_length` is None. `reset(options={"start_row": t})`
    starts at row t instead.

    ## Episode End

    1. Termination: equity at or below `config.ruin_equity_frac * initial_equity_quote` (ruin).
    2. Truncation: `config.episode_length` steps taken.
    3. Truncation: the end of the data (the last candle is reached; no order could fill after it).

    ## Info

    `equity_quote` (marked at the last close), `exposure_frac` (actual, drifts between orders), `level`
    (0..5), `costs_quote` (fees, spread and slippage this episode), `orders` (level changes this
    episode).

    ## Arguments

    ```python
    >>> import gymnasium as gym
    >>> import huracan; huracan.register_envs()  # Huracan-v0
    >>> from huracan.features.synthetic import random_walk_candles
    >>> env = gym.make("Huracan-v0", candles=random_walk_candles(2_000), config=EnvConfig(episode_length=500))
    >>> env
    <OrderEnforcing<PassiveEnvChecker<TradingEnv<Huracan-v0>>>>
    >>> obs, info = env.reset(seed=42)
    >>> obs.shape, obs.dtype, info["equity_quote"], info["level"]
    ((80,), dtype('float32'), 10000.0, 0)
    >>> obs, reward, terminated, truncated, info = env.step(5)  # all in at the next open
    >>> info["level"], info["orders"], round(info["costs_quote"], 2)
    (5, 1, 15.51)

    ```

    :param candles: a candle frame (see :mod:`huracan.features.candles`) of at least 265 rows (the
        264-candle lookback of the features, plus one candle to fill the first order), or a
        :class:`MarketData` built from one (to share it between env copies).
    :param config: capital, episode length and start, cost model, ruin and reward shaping; defaults
        to :class:`EnvConfig` ().
    :param timeframe: the candles' timeframe ("1h"); ``None`` infers it. Ignored for a MarketData.
    :param render_mode: ``None`` or ``"ansi"`` (``render()`` returns a one-line text summary).

    ## Version History

    * v0: initial version: 77 market + 3 position features, 6 exposure levels.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}  # noqa: RUF012 (gymnasium declares it so)

    def __init__(
        self,
        candles: pd.DataFrame | MarketData,
        config: EnvConfig | None = None,
        timeframe: str | Timeframe | None = None,
        render_mode: str | None = None,
    ) -> None:
        self.config = EnvConfig() if config is None else config
        if not isinstance(self.config, EnvConfig):
            raise ValueError(f"config must be an EnvConfig, got {type(self.config).__name__}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or one of {self.metadata['render_modes']}, got {render_mode!r}")
        self.render_mode = render_mode
        self.data = candles if isinstance(candles, MarketData) else MarketData.from_candles(candles, timeframe)
        self.action_space = spaces.Discrete(N_POSITIONS)
        self.observation_space = observation_space()
        self._start_low, self._start_high = start_range(self.data, self.config)
        self._last_row = self.data.n_rows - 1
        self._episode_length = self.config.episode_length or self.data.n_rows
        # Hot-path copies: Python floats index faster than numpy scalars.
        self._open = self.data.open_quote.tolist()
        self._close = self.data.close_quote.tolist()
        self._volume = self.data.volume_base.tolist()
        self._features = self.data.features
        self._costs = self.config.costs
        self._account_step = accounting.step_one
        self._initial = float(self.config.initial_equity_quote)
        self._ruin_equity = self.config.ruin_equity_frac * self._initial
        self._drawdown_penalty = self.config.drawdown_penalty
        self._shape = self.config.shaped_reward
        self._shaped = self.config.shapes_reward
        self._done = True

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        start = None if options is None else options.get("start_row")
        if start is None:
            start = int(self.np_random.integers(self._start_low, self._start_high + 1))
        elif not self.data.first_row <= start < self._last_row:
            raise ValueError(f"start_row must be in {self.data.first_row}..{self._last_row - 1}, got {start}")
        self._t = int(start)
        self._steps = 0
        self._cash = self._initial
        self._pos = 0.0
        self._level = 0
        self._equity = self._initial
        self._peak = self._initial
        self._costs_paid = 0.0
        self._orders = 0
        self._done = False
        return self._features[self._t] + POSITION_ROWS[0], self._info(0.0)

    def step(self, action: np.int64 | int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        try:
            level = LEVEL_OF_ACTION.get(action)
        except TypeError:  # unhashable, e.g. a 0-d or 1-element array
            level = LEVEL_OF_ACTION.get(action.item() if isinstance(action, np.ndarray) and action.size == 1 else None)
        if level is None or self._done:
            self._refuse(action)
        t = self._t
        target = EXPOSURE_LEVELS[level]
        trade = level != self._level
        cash, pos, cost, held, equity, log_ret = self._account_step(
            self._costs,
            self._cash,
            self._pos,
            target,
            trade,
            self._open[t + 1],
            self._volume[t],
            self._close[t + 1],
            self._equity,
        )
        if trade:
            self._cash = cash
            self._pos = pos
            self._costs_paid += cost
            self._orders += 1
        if self._drawdown_penalty and equity > self._peak:
            self._peak = equity
        if self._shaped:
            reward = self._shape(log_ret, abs(target - EXPOSURE_LEVELS[self._level]), equity, self._peak)
        else:
            reward = log_ret
        self._level = level
        t += 1
        self._t = t
        self._steps += 1
        self._equity = equity
        terminated = equity <= self._ruin_equity
        truncated = not terminated and (self._steps >= self._episode_length or t >= self._last_row)
        self._done = terminated or truncated
        info = {
            "equity_quote": equity,
            "exposure_frac": held / equity,
            "level": level,
            "costs_quote": self._costs_paid,
            "orders": self._orders,
        }
        return self._features[t] + POSITION_ROWS[level], reward, terminated, truncated, info

    def _refuse(self, action: Any) -> NoReturn:
        if self._done:
            raise RuntimeError("the episode is over (or never started): call reset() before step()")
        raise ValueError(f"action must be an integer in 0..{N_POSITIONS - 1}, got {action!r}")

    def _info(self, held: float) -> dict[str, Any]:
        return {
            "equity_quote": self._equity,
            "exposure_frac": held / self._equity,
            "level": self._level,
            "costs_quote": self._costs_paid,
            "orders": self._orders,
        }

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        if self._done and not hasattr(self, "_t"):
            return "TradingEnv: not reset"
        return (
            f"row {self._t} step {self._steps}: level {self._level} "
            f"equity {self._equity:.2f} quote, costs {self._costs_paid:.2f} quote, orders {self._orders}"
        )

"""N copies of the trading env stepped together in numpy: an SB3 VecEnv without N Python envs.

Copy i behaves exactly like a :class:`huracan.trading.env.TradingEnv` seeded with the same seed: the
same start rows, observations, terminations and truncations, equity, costs and orders, bit for bit
(the cost model's batch form repeats the scalar one's floating-point operations), and the same rewards
as float32, the dtype SB3's own vectorised envs return (numpy's vectorised log may differ from libm's in
the last bit of a float64, which shows in float32 only for a value within that bit of a float32
rounding boundary; the step-for-step test has not met one). Each copy has its
own ``np.random.Generator``, seeded the way gymnasium seeds an env, and draws its start rows from it in
the same order; SB3's ``seed()`` / ``set_options()`` semantics apply (used by the next ``reset()``).

Per-step info in bulk: the arrays :attr:`TradingVecEnv.equity_quote`, ``exposure_frac``, ``level``,
``costs_quote`` and ``orders`` hold what each copy's ``info`` would. The ``infos`` list returned by
``step`` holds, for copies whose episode just ended, those values plus ``terminal_observation`` and
``TimeLimit.truncated``, and is otherwise empty dicts (building 64 full dicts per step would cost more than
the step itself); ``full_infos=True`` fills every dict like the single env does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvObs, VecEnvStepReturn

from huracan.features.catalog import N_MARKET_FEATURES
from huracan.features.observation import EXPOSURE_LEVELS, N_POSITIONS, POSITION_FEATURES
from huracan.trading import accounting
from huracan.trading.config import EnvConfig
from huracan.trading.env import observation_space, start_range
from huracan.trading.market_data import MarketData

if TYPE_CHECKING:
    import gymnasium as gym
    import pandas as pd

    from huracan.timeframes import Timeframe

_LEVEL_FRACS = np.array(EXPOSURE_LEVELS, dtype=np.float64)
_MAX_LEVEL = np.array(N_POSITIONS - 1, dtype=np.uint64)
_INFO_ARRAYS = ("equity_quote", "exposure_frac", "level", "costs_quote", "orders")


class TradingVecEnv(VecEnv):
    """``num_envs`` copies of :class:`~huracan.trading.env.TradingEnv` over the same candles, in numpy.

    :param candles: a candle frame or a :class:`MarketData` (shared by all copies, built once).
    :param num_envs: number of copies, >= 1.
    :param config: the env config of every copy; defaults to :class:`EnvConfig` ().
    :param timeframe: the candles' timeframe; ``None`` infers it. Ignored for a MarketData.
    :param full_infos: return every copy's info dict at every step, as the single env does (slower).
    """

    def __init__(
        self,
        candles: pd.DataFrame | MarketData,
        num_envs: int,
        config: EnvConfig | None = None,
        timeframe: str | Timeframe | None = None,
        full_infos: bool = False,
    ) -> None:
        if int(num_envs) != num_envs or num_envs < 1:
            raise ValueError(f"num_envs must be an integer >= 1, got {num_envs}")
        self.config = EnvConfig() if config is None else config
        if not isinstance(self.config, EnvConfig):
            raise ValueError(f"config must be an EnvConfig, got {type(self.config).__name__}")
        self.data = candles if isinstance(candles, MarketData) else MarketData.from_candles(candles, timeframe)
        self.render_mode = None
        self.full_infos = full_infos
        n = int(num_envs)
        super().__init__(n, observation_space(), spaces.Discrete(N_POSITIONS))
        self._start_low, self._start_high = start_range(self.data, self.config)
        self._last_row = self.data.n_rows - 1
        self._episode_length = self.config.episode_length or self.data.n_rows
        self._initial = float(self.config.initial_equity_quote)
        self._ruin_equity = np.array(self.config.ruin_equity_frac * self._initial)  # 0-d: compares faster
        self._costs = self.config.costs
        self._drawdown_penalty = self.config.drawdown_penalty
        self._features = self.data.features
        self._next_open = np.append(self.data.open_quote[1:], np.nan)
        self._volume = self.data.volume_base
        self._close = self.data.close_quote
        self._rngs: list[np.random.Generator | None] = [None] * n
        self._env_range = range(n)
        self._t = np.zeros(n, dtype=np.int64)
        self._end_row = np.zeros(n, dtype=np.int64)  # the row at which the episode is truncated
        self.level = np.zeros(n, dtype=np.int64)
        self._cash = np.full(n, self._initial)
        self._pos = np.zeros(n)
        self.equity_quote = np.full(n, self._initial)
        self._held = np.zeros(n)
        self._peak = np.full(n, self._initial)
        self.costs_quote = np.zeros(n)
        self.orders = np.zeros(n, dtype=np.int64)
        self._actions: np.ndarray | None = None
        self._was_reset = False

    # -- episode starts -------------------------------------------------------------------------------

    def _start(self, i: int, options: dict[str, Any]) -> None:
        rng = self._rngs[i]
        start = options.get("start_row")
        if start is None:
            start = int(rng.integers(self._start_low, self._start_high + 1))  # type: ignore[union-attr]
        elif not self.data.first_row <= start < self._last_row:
            raise ValueError(f"start_row must be in {self.data.first_row}..{self._last_row - 1}, got {start}")
        self._t[i] = start
        self._end_row[i] = min(start + self._episode_length, self._last_row)
        self.level[i] = 0
        self._cash[i] = self._initial
        self._pos[i] = 0.0
        self.equity_quote[i] = self._initial
        self._held[i] = 0.0
        self._peak[i] = self._initial
        self.costs_quote[i] = 0.0
        self.orders[i] = 0

    @property
    def exposure_frac(self) -> np.ndarray:
        """Actual exposure of each copy: value of the position at the last close over equity."""
        return self._held / self.equity_quote

    def _info(self, i: int) -> dict[str, Any]:
        return {
            "equity_quote": float(self.equity_quote[i]),
            "exposure_frac": float(self._held[i] / self.equity_quote[i]),
            "level": int(self.level[i]),
            "costs_quote": float(self.costs_quote[i]),
            "orders": int(self.orders[i]),
        }

    def _observe(self) -> np.ndarray:
        obs = self._features.take(self._t, axis=0)
        obs[:, N_MARKET_FEATURES:] = POSITION_FEATURES.take(self.level, axis=0)
        return obs

    def reset(self) -> VecEnvObs:
        for i in range(self.num_envs):
            seed = self._seeds[i]
            if seed is not None or self._rngs[i] is None:
                self._rngs[i], _ = seeding.np_random(seed)
            self._start(i, self._options[i])
            self.reset_infos[i] = self._info(i)
        self._reset_seeds()
        self._reset_options()
        self._was_reset = True
        return self._observe()

    # -- stepping ---------------------------------------------------------------------------------------

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions).reshape(self.num_envs)

    def step_wait(self) -> VecEnvStepReturn:
        actions = self._actions
        if actions is None or not self._was_reset:
            raise RuntimeError("call reset() before step(), and step_async() before step_wait()")
        self._actions = None
        if actions.dtype != np.int64:
            if not np.array_equal(actions, np.round(actions)):
                raise ValueError(f"actions must be integers in 0..{N_POSITIONS - 1}, got {actions}")
            actions = actions.astype(np.int64)
        if np.count_nonzero(actions.view(np.uint64) > _MAX_LEVEL):  # as uint64, negatives are huge too
            raise ValueError(f"actions must be integers in 0..{N_POSITIONS - 1}, got {actions}")
        target = _LEVEL_FRACS.take(actions)
        t = self._t
        trade = actions != self.level
        cash, pos, cost, held, equity, log_ret = accounting.step(
            self._costs,
            self._cash,
            self._pos,
            target,
            trade,
            self._next_open.take(t),
            self._volume.take(t),
            self._close.take(t + 1),
            self.equity_quote,
        )
        if self._drawdown_penalty:
            np.maximum(self._peak, equity, out=self._peak)
        turnover = np.abs(target - _LEVEL_FRACS.take(self.level)) if self.config.turnover_penalty else 0.0
        reward = self.config.shaped_reward(log_ret, turnover, equity, self._peak)
        self.costs_quote += cost
        self.orders += trade
        self.level = actions.copy()
        t = self._t = t + 1
        self._cash = cash
        self._pos = pos
        self._held = held
        self.equity_quote = equity
        terminated = accounting.ruined(equity, self._ruin_equity)
        dones = terminated | (t >= self._end_row)
        obs = self._features.take(t, axis=0)
        obs[:, N_MARKET_FEATURES:] = POSITION_FEATURES.take(self.level, axis=0)
        if self.full_infos:
            infos = [self._info(i) for i in range(self.num_envs)]
        else:
            infos = [{} for _ in self._env_range]
        if np.count_nonzero(dones):
            for i in np.flatnonzero(dones).tolist():
                info = infos[i] if self.full_infos else self._info(i)
                info["terminal_observation"] = obs[i].copy()
                info["TimeLimit.truncated"] = not terminated[i]
                infos[i] = info
                self._start(i, {})
                self.reset_infos[i] = self._info(i)
                obs[i] = self._features[self._t[i]]
                obs[i, N_MARKET_FEATURES:] = POSITION_FEATURES[0]
        return obs, reward.astype(np.float32), dones, infos

    # -- SB3 VecEnv plumbing ---------------------------------------------------------------------------

    def close(self) -> None:
        """Nothing to release."""

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """Per-copy values of an info array (``equity_quote``, ``level``, ...), else the shared attribute."""
        idx = list(self._get_indices(indices))
        if attr_name in _INFO_ARRAYS:
            values = getattr(self, attr_name)
            return [values[i].item() for i in idx]
        if attr_name.startswith("_") or not hasattr(self, attr_name):
            raise AttributeError(f"TradingVecEnv copies have no attribute {attr_name!r}")
        return [getattr(self, attr_name) for _ in idx]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        raise NotImplementedError("TradingVecEnv copies share one config; build a new TradingVecEnv to change it")

    def env_method(
        self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **method_kwargs: Any
    ) -> list[Any]:
        raise NotImplementedError("TradingVecEnv has no per-copy env objects; use reset(), step() and get_attr()")

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        return [False for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [None for _ in range(self.num_envs)]

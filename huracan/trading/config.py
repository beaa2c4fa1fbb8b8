"""Settings of the trading env (and of its vectorised twin): capital, episodes, costs and reward shaping."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from huracan.trading.accounting import Amount
from huracan.trading.costs import CostModel


@dataclass(frozen=True)
class EnvConfig:
    """How :class:`huracan.trading.env.TradingEnv` runs its episodes.

    :param initial_equity_quote: cash at the start of every episode, quote currency, > 0. It sets the
        order sizes, hence the slippage against candle volume.
    :param episode_length: most decisions (steps) in an episode, >= 1. ``None``: an episode runs over the
        whole range, from the first row after the features' warm-up to the end of the data.
    :param random_start: draw each episode's first row uniformly (from the env's ``np_random``) among the
        rows that leave room for ``episode_length`` steps; ``False``: always start at the first row after
        the warm-up. Ignored when ``episode_length`` is ``None``.
    :param costs: the cost model (fees, spread, slippage); Binance spot defaults.
    :param ruin_equity_frac: the episode terminates when equity falls to or below this fraction of
        ``initial_equity_quote``; in [0, 1), 0 never terminates.
    :param turnover_penalty: reward minus ``turnover_penalty * |new target - old target|`` (exposure
        fractions) on each level change, >= 0; 0 (default) is off. Costs are in the reward anyway.
    :param drawdown_penalty: reward minus ``drawdown_penalty * (1 - equity / peak equity of the
        episode)`` at every step, >= 0; 0 (default) is off.
    :param variance_penalty: reward minus ``variance_penalty * log_return ** 2`` at every step, >= 0; 0
        (default) is off. A mean-variance reward: its best constant exposure is ``mu / (2 k sigma^2)``
        (k the penalty, mu and sigma the asset's log-return mean and volatility per step), so the agent
        is paid to hold less when volatility is high.
    """

    initial_equity_quote: float = 10_000.0
    episode_length: int | None = 1024
    random_start: bool = True
    costs: CostModel = field(default_factory=CostModel)
    ruin_equity_frac: float = 0.1
    turnover_penalty: float = 0.0
    drawdown_penalty: float = 0.0
    variance_penalty: float = 0.0

    def __post_init__(self) -> None:
        if not (0.0 < self.initial_equity_quote < math.inf):
            raise ValueError(
                f"initial_equity_quote must be a positive amount of quote currency, got {self.initial_equity_quote}"
            )
        if self.episode_length is not None and (
            int(self.episode_length) != self.episode_length or self.episode_length < 1
        ):
            raise ValueError(f"episode_length must be an integer >= 1 or None (whole range), got {self.episode_length}")
        if not isinstance(self.costs, CostModel):
            raise ValueError(f"costs must be a CostModel, got {type(self.costs).__name__}")
        if not 0.0 <= self.ruin_equity_frac < 1.0:
            raise ValueError(f"ruin_equity_frac must be a fraction in [0, 1), got {self.ruin_equity_frac}")
        for name in ("turnover_penalty", "drawdown_penalty", "variance_penalty"):
            value = getattr(self, name)
            if not 0.0 <= value < math.inf:
                raise ValueError(f"{name} must be finite and >= 0 (0 is off), got {value}")

    @property
    def shapes_reward(self) -> bool:
        """Whether any reward-shaping penalty is on (else the reward is the plain log return)."""
        return bool(self.turnover_penalty or self.drawdown_penalty or self.variance_penalty)

    def shaped_reward(self, log_return: Amount, turnover_frac: Any, equity_quote: Amount, peak_quote: Amount) -> Amount:
        """The env's reward of a step (one account or an array of them): its log return, minus
        ``turnover_penalty * turnover_frac`` (the change of target exposure) and minus
        ``drawdown_penalty * (1 - equity / peak)`` (``peak_quote``: the episode's peak equity, this step
        included) and ``variance_penalty * log_return ** 2``, each only when its penalty is on."""
        reward = log_return
        if self.turnover_penalty:
            reward = reward - self.turnover_penalty * turnover_frac
        if self.drawdown_penalty:
            reward = reward - self.drawdown_penalty * (1.0 - equity_quote / peak_quote)
        if self.variance_penalty:
            reward = reward - self.variance_penalty * log_return * log_return
        return reward

"""The risk limits of one account: a frozen set of numbers, each with its unit, built from the settings.

Money is in the account's quote currency (``HURACAN_ACCOUNT_CURRENCY``, default USDT). The limits are
enforced by :func:`huracan.risk.manager.evaluate` at the order's reference price, fees and slippage
excluded (they are the broker's; at Binance's 0.1 % they move a notional by a thousandth).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from huracan.errors import ConfigError

if TYPE_CHECKING:
    from huracan.config import Settings


@dataclass(frozen=True)
class RiskLimits:
    """What the risk manager allows. Defaults are the design's; every field has a ``HURACAN_RISK_*`` setting.

    :param max_position_quote: largest position per symbol, its notional (quantity x the order's reference
        price), quote currency, > 0. A buy is resized so that the position after it fits.
    :param daily_loss_limit_quote: largest loss of a UTC day, quote currency, > 0: realised plus unrealised,
        i.e. equity now minus equity at the first snapshot of the UTC day. Reached (loss >= limit), the
        account is REDUCING (only orders that reduce a position pass) until the next UTC day.
    :param max_heat_frac: largest portfolio heat, a fraction in (0, 1]: the open position notionals of all
        symbols over account equity (0.15 = 15 %). A buy is resized so that the heat after it fits.
    :param breaker_loss_quote: circuit breaker, quote currency, > 0: equity at or below the high-water mark
        minus this trips it, and the account is HALTED (only reducing orders pass) until ``huracan risk reset``.
    :param daily_profit_target_quote: profit of a UTC day after which only reducing orders pass until the
        next UTC day, quote currency, >= 0; 0 switches the target off. The default, twice the daily loss
        limit, locks in a day twice as good as the worst day allowed.
    :param max_order_notional_quote: largest notional of one buy (quantity x reference price), quote
        currency, > 0; a guard against a fat finger or a broken model. A sell is bounded by the position.
    :param min_order_notional_quote: a buy resized below this notional is denied instead, quote currency,
        >= 0 (Binance's minimum is 5 to 10 USDT on most pairs).
    :param price_band_frac: an order's price must lie within this fraction of the symbol's last close, in
        (0, 1) (0.05 = 5 %).
    :param stale_after_ms: no order when the newest candle the decision saw, or the symbol's mark, closed
        more than this long before the check, ms, > 0. The default, 2 h, allows one missed 1h tick.
    :param flatten_on_breaker: when the breaker trips, tell the caller to close every position
        (:attr:`huracan.risk.manager.RiskDecision.flatten`); False keeps the positions and only blocks
        new exposure.
    """

    max_position_quote: float = 5_000.0
    daily_loss_limit_quote: float = 500.0
    max_heat_frac: float = 0.15
    breaker_loss_quote: float = 1_000.0
    daily_profit_target_quote: float = 1_000.0
    max_order_notional_quote: float = 5_000.0
    min_order_notional_quote: float = 10.0
    price_band_frac: float = 0.05
    stale_after_ms: int = 7_200_000
    flatten_on_breaker: bool = False

    def __post_init__(self) -> None:
        problems = []
        positive = ("max_position_quote", "daily_loss_limit_quote", "breaker_loss_quote", "max_order_notional_quote")
        for name in positive:
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                problems.append(f"{name} must be a finite number > 0, got {value}")
        for name in ("daily_profit_target_quote", "min_order_notional_quote"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                problems.append(f"{name} must be a finite number >= 0, got {value}")
        if not 0 < self.max_heat_frac <= 1:
            problems.append(f"max_heat_frac must be a fraction in (0, 1], got {self.max_heat_frac}")
        if not 0 < self.price_band_frac < 1:
            problems.append(f"price_band_frac must be a fraction in (0, 1), got {self.price_band_frac}")
        if (
            isinstance(self.stale_after_ms, bool)
            or not isinstance(self.stale_after_ms, int)
            or self.stale_after_ms <= 0
        ):
            problems.append(f"stale_after_ms must be an integer number of ms > 0, got {self.stale_after_ms!r}")
        if self.min_order_notional_quote > self.max_order_notional_quote:
            problems.append(
                f"min_order_notional_quote {self.min_order_notional_quote} is above max_order_notional_quote "
                f"{self.max_order_notional_quote}: no buy could pass"
            )
        if problems:
            raise ConfigError("invalid risk limits: " + "; ".join(problems))

    @classmethod
    def from_settings(cls, settings: Settings) -> RiskLimits:
        """The limits configured by the ``HURACAN_RISK_*`` settings."""
        return cls(
            max_position_quote=settings.risk_max_position_quote,
            daily_loss_limit_quote=settings.risk_daily_loss_limit_quote,
            max_heat_frac=settings.risk_max_heat_frac,
            breaker_loss_quote=settings.risk_breaker_loss_quote,
            daily_profit_target_quote=settings.risk_daily_profit_target_quote,
            max_order_notional_quote=settings.risk_max_order_notional_quote,
            min_order_notional_quote=settings.risk_min_order_notional_quote,
            price_band_frac=settings.risk_price_band_frac,
            stale_after_ms=settings.risk_stale_after_ms,
            flatten_on_breaker=settings.risk_flatten_on_breaker,
        )

    @property
    def profit_target_on(self) -> bool:
        """True when the daily profit target is switched on (> 0)."""
        return self.daily_profit_target_quote > 0

    def to_dict(self) -> dict[str, float | int | bool]:
        return asdict(self)

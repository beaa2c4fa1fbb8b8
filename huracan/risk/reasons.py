"""Why the risk manager did something: a stable code for programs and a sentence with the numbers for people."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReasonCode(StrEnum):
    """Codes of order checks (a decision's reasons) and of trading-state changes (a state's reason)."""

    # order checks
    STALE_DATA = "stale_data"
    FUTURE_DATA = "future_data"
    NO_MARK = "no_mark"
    PRICE_BAND = "price_band"
    REDUCE_ONLY = "reduce_only"
    SELL_EXCEEDS_POSITION = "sell_exceeds_position"
    POSITION_LIMIT = "position_limit"
    HEAT_LIMIT = "heat_limit"
    ORDER_NOTIONAL = "order_notional"
    MIN_NOTIONAL = "min_notional"
    # trading-state changes; a buy denied in REDUCING or HALTED carries the state's code
    INITIAL = "initial"
    FIRST_SNAPSHOT = "first_snapshot"
    NEW_DAY = "new_day"
    DAILY_LOSS_LIMIT = "daily_loss_limit"
    DAILY_PROFIT_TARGET = "daily_profit_target"
    BREAKER = "breaker"
    RESET = "reset"
    PAUSED = "paused"
    RESUMED = "resumed"


@dataclass(frozen=True)
class Reason:
    """One reason: ``code`` and ``message``, a sentence naming the numbers behind it."""

    code: ReasonCode
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code.value, "message": self.message}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Reason:
        return cls(ReasonCode(data["code"]), data["message"])

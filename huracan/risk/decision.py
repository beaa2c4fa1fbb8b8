"""The risk manager's answer to one order intent: :class:`RiskDecision`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from huracan.risk.intent import OrderIntent
from huracan.risk.reasons import Reason
from huracan.risk.state import TradingState


class Verdict(StrEnum):
    """APPROVED: as asked. RESIZED: a smaller quantity passes. DENIED: nothing passes."""

    APPROVED = "approved"
    RESIZED = "resized"
    DENIED = "denied"


@dataclass(frozen=True)
class RiskDecision:
    """What may be sent for ``intent``.

    :param intent: the intent checked.
    :param verdict: APPROVED, RESIZED or DENIED.
    :param approved_qty_base: quantity that may be sent, base asset: the intent's when APPROVED, less when
        RESIZED, 0 when DENIED; never more than asked.
    :param reasons: every check that resized or denied the order (empty when APPROVED).
    :param state_after: the account's trading state after the check.
    :param flatten: True when the breaker has halted the account and ``flatten_on_breaker`` is set: the
        caller should close every position (each sell through the risk manager again).
    :param checked_ms: time of the snapshot the check used, ms UTC.
    :param equity_quote: the account's equity in that snapshot, quote currency.
    """

    intent: OrderIntent
    verdict: Verdict
    approved_qty_base: float
    reasons: tuple[Reason, ...]
    state_after: TradingState
    flatten: bool
    checked_ms: int
    equity_quote: float

    @property
    def passed(self) -> bool:
        """True when some quantity may be sent (APPROVED or RESIZED)."""
        return self.verdict is not Verdict.DENIED

    @property
    def approved_notional_quote(self) -> float:
        """Approved quantity x the intent's price, quote currency."""
        return self.approved_qty_base * self.intent.price_quote

    def describe(self) -> str:
        """One line: verdict, quantities and every reason."""
        intent = self.intent
        head = (
            f"{self.verdict.value.upper()} {intent.side.value} {intent.qty_base:.8g} {intent.symbol} "
            f"at {intent.price_quote:,.2f} for {intent.account}"
        )
        if self.verdict is Verdict.RESIZED:
            head += f" -> {self.approved_qty_base:.8g}"
        return head + "".join(f"; {reason.code.value}: {reason.message}" for reason in self.reasons)

    def to_dict(self) -> dict[str, Any]:
        intent = self.intent
        return {
            "intent_key": intent.key,
            "account": intent.account,
            "symbol": intent.symbol,
            "side": intent.side.value,
            "qty_base": intent.qty_base,
            "price_quote": intent.price_quote,
            "decision_ms": intent.decision_ms,
            "data_close_ms": intent.data_close_ms,
            "source": intent.source,
            "reduce_only": intent.reduce_only,
            "verdict": self.verdict.value,
            "approved_qty_base": self.approved_qty_base,
            "reasons": [reason.to_dict() for reason in self.reasons],
            "state_after": self.state_after.value,
            "flatten": self.flatten,
            "checked_ms": self.checked_ms,
            "equity_quote": self.equity_quote,
        }

"""A person's order (``huracan order``), the same for the paper and the exchange broker: its intent, sized
from an amount of quote at the last close, and its record.

Each manual order is a decision of its own: one asked at the same ms as the book's latest order (a frozen
exchange clock, two commands in one ms) is dated 1 ms after it, so it gets its own client order id and its
own risk decision.
"""

from __future__ import annotations

from huracan.errors import HuracanError
from huracan.execution.orders import Order, OrderKind, OrderStatus, client_order_id
from huracan.risk.decision import RiskDecision
from huracan.risk.intent import OrderIntent, Side


def decision_ms(latest: list[Order], now_ms: int) -> int:
    """``now_ms``, or 1 ms after the book's latest order (``latest``: at most one, newest first) if not later."""
    return latest[0].decision_ms + 1 if latest and latest[0].decision_ms >= now_ms else now_ms


def manual_intent(
    account: str,
    symbol: str,
    side: Side | str,
    quote_amount: float,
    close_quote: float,
    held_base: float,
    at_ms: int,
    close_ms: int,
    who: str,
) -> OrderIntent:
    """The intent of ``quote_amount`` of quote on ``side`` at the last close ``close_quote`` (a sell sells at
    most the ``held_base`` of the book); decided at ``at_ms`` on the candle closed at ``close_ms`` (ms UTC)."""
    if not quote_amount > 0:
        raise HuracanError(f"--quote must be an amount of quote currency > 0, got {quote_amount}")
    side = Side(side)
    qty = quote_amount / close_quote
    if side is Side.SELL and held_base > 0:
        qty = min(qty, held_base)
    return OrderIntent(account, symbol, side, qty, close_quote, at_ms, close_ms, f"manual:{who}")


def reasons_text(decision: RiskDecision) -> str:
    """Every reason of ``decision`` as ``code: sentence; ...`` (empty when approved as asked)."""
    return "; ".join(f"{reason.code.value}: {reason.message}" for reason in decision.reasons)


def manual_order(intent: OrderIntent, decision: RiskDecision, passed: OrderStatus, target_frac: float | None) -> Order:
    """The market order of ``intent``: status ``passed`` when the risk manager let it through (with the
    approved quantity), else ``DENIED`` with the reasons."""
    return Order(
        client_order_id=client_order_id(intent.account, intent.symbol, intent.decision_ms, intent.side),
        account=intent.account,
        symbol=intent.symbol,
        side=intent.side,
        kind=OrderKind.MARKET,
        status=passed if decision.passed else OrderStatus.DENIED,
        decision_ms=intent.decision_ms,
        source=intent.source,
        target_frac=target_frac,
        qty_base=decision.approved_qty_base if decision.passed else intent.qty_base,
        reason=reasons_text(decision),
        created_ms=intent.decision_ms,
        updated_ms=intent.decision_ms,
    )

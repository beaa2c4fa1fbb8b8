"""What the caller knows about an account right now: :class:`AccountSnapshot` (cash and marked positions).

Spot, long only: quantities are >= 0 and equity is cash plus the positions at their marks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from huracan.errors import RiskError


class PositionMark(NamedTuple):
    """One symbol of a snapshot: ``qty_base`` held (>= 0; 0 for a symbol only marked), its mark
    ``mark_price_quote`` (the last close, > 0) and that candle's close time ``last_close_ms`` (ms UTC)."""

    qty_base: float
    mark_price_quote: float
    last_close_ms: int


@dataclass(frozen=True)
class AccountSnapshot:
    """An account at ``now_ms``, as the broker's tables and the latest candles show it.

    :param account: account id.
    :param now_ms: the time of the snapshot, ms UTC; the risk manager's clock (it reads no other).
    :param cash_quote: free cash, quote currency, finite.
    :param positions: symbol -> :class:`PositionMark` (or a ``(qty_base, mark_price_quote, last_close_ms)``
        tuple). An order's symbol must be here, with quantity 0 if nothing is held, so its price can be
        checked against the last close.
    """

    account: str
    now_ms: int
    cash_quote: float
    positions: Mapping[str, PositionMark] = field(default_factory=dict)
    equity_quote: float = field(init=False)
    """Cash plus every position at its mark, quote currency."""
    gross_notional_quote: float = field(init=False)
    """Sum of the open position notionals (quantity x mark), quote currency."""

    def __post_init__(self) -> None:
        if not math.isfinite(self.cash_quote):
            raise RiskError(f"snapshot of {self.account!r}: cash_quote must be finite, got {self.cash_quote}")
        marks = {}
        for symbol, position in self.positions.items():
            qty_base, mark_price_quote, last_close_ms = position
            if not (math.isfinite(qty_base) and qty_base >= 0):
                raise RiskError(
                    f"snapshot of {self.account!r}: {symbol} qty_base must be finite and >= 0 (spot, long only), "
                    f"got {qty_base}"
                )
            if not (math.isfinite(mark_price_quote) and mark_price_quote > 0):
                raise RiskError(
                    f"snapshot of {self.account!r}: {symbol} mark_price_quote must be finite and > 0, "
                    f"got {mark_price_quote}"
                )
            marks[symbol] = PositionMark(float(qty_base), float(mark_price_quote), int(last_close_ms))
        gross = math.fsum(p.qty_base * p.mark_price_quote for p in marks.values())
        object.__setattr__(self, "positions", marks)
        object.__setattr__(self, "gross_notional_quote", gross)
        object.__setattr__(self, "equity_quote", self.cash_quote + gross)

    @property
    def heat_frac(self) -> float:
        """Open position notionals over equity, a fraction; 0 with nothing held, infinite when equity <= 0."""
        if self.gross_notional_quote == 0:
            return 0.0
        return self.gross_notional_quote / self.equity_quote if self.equity_quote > 0 else math.inf

    def qty_base(self, symbol: str) -> float:
        """Quantity of ``symbol`` held, base asset (0 if absent)."""
        position = self.positions.get(symbol)
        return position.qty_base if position is not None else 0.0

    def notional_quote(self, symbol: str) -> float:
        """Quantity x mark of ``symbol``, quote currency (0 if absent)."""
        position = self.positions.get(symbol)
        return position.qty_base * position.mark_price_quote if position is not None else 0.0

"""What a model or a person wants to trade, before the risk manager has seen it: :class:`OrderIntent`.

Spot, long only: a buy adds exposure, a sell reduces it (and can never sell more than is held).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

from huracan.errors import RiskError

#: ``model:<name>/<version>`` (a registered model version) or ``manual:<who>`` (a person, e.g. ``huracan order``).
SOURCE_PATTERN = re.compile(r"model:[^\s/]+/[^\s/]+|manual:\S+")
MAX_ACCOUNT_LEN = 64
MAX_SYMBOL_LEN = 32
MAX_SOURCE_LEN = 128


class Side(StrEnum):
    """Order side, spelled as ccxt spells it."""

    BUY = "buy"
    SELL = "sell"


@dataclass(frozen=True)
class OrderIntent:
    """An order someone wants to place, checked by :func:`huracan.risk.manager.evaluate`.

    :param account: account id (``paper`` for the default paper account), 1 to 64 characters.
    :param symbol: unified symbol, e.g. ``BTC/USDT``, 1 to 32 characters.
    :param side: :class:`Side` or its value ``buy`` / ``sell``.
    :param qty_base: quantity wanted, base asset, finite and > 0.
    :param price_quote: the order's price per unit of base, quote currency, > 0: the limit price of a limit
        order, the reference price (the last close) of a market order. Limits are enforced at this price.
    :param decision_ms: when the decision was made, ms UTC (for a live tick: the decision candle's close).
    :param data_close_ms: close time of the newest candle the decision saw, ms UTC, at most ``decision_ms``.
    :param source: who decided: ``model:<name>/<version>`` or ``manual:<who>``, at most 128 characters.
    :param reduce_only: the order must not add exposure. Sells always reduce (spot, long only), so this
        only matters for a buy, which is then denied.
    """

    account: str
    symbol: str
    side: Side
    qty_base: float
    price_quote: float
    decision_ms: int
    data_close_ms: int
    source: str
    reduce_only: bool = False

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "side", Side(self.side))
        except ValueError:
            raise RiskError(f"order intent: side must be 'buy' or 'sell', got {self.side!r}") from None
        problems = []
        if not 0 < len(self.account) <= MAX_ACCOUNT_LEN:
            problems.append(f"account must be 1 to {MAX_ACCOUNT_LEN} characters, got {self.account!r}")
        if not 0 < len(self.symbol) <= MAX_SYMBOL_LEN or self.symbol.strip() != self.symbol:
            problems.append(f"symbol must be 1 to {MAX_SYMBOL_LEN} characters without spaces, got {self.symbol!r}")
        if not (math.isfinite(self.qty_base) and self.qty_base > 0):
            problems.append(f"qty_base must be a finite number > 0, got {self.qty_base}")
        if not (math.isfinite(self.price_quote) and self.price_quote > 0):
            problems.append(f"price_quote must be a finite number > 0, got {self.price_quote}")
        if self.data_close_ms > self.decision_ms:
            problems.append(f"data_close_ms {self.data_close_ms} is after decision_ms {self.decision_ms}")
        if len(self.source) > MAX_SOURCE_LEN or not SOURCE_PATTERN.fullmatch(self.source):
            problems.append(f"source must be 'model:<name>/<version>' or 'manual:<who>', got {self.source!r}")
        if problems:
            raise RiskError(f"order intent for {self.symbol!r}: " + "; ".join(problems))

    @property
    def key(self) -> str:
        """Identity of the decision: account, symbol, side, decision time and source. Checking an intent with
        the same key again returns the recorded decision (a retried tick never decides twice)."""
        return f"{self.account}|{self.symbol}|{self.side.value}|{self.decision_ms}|{self.source}"

    @property
    def notional_quote(self) -> float:
        """Quantity x price, quote currency."""
        return self.qty_base * self.price_quote

    @property
    def adds_exposure(self) -> bool:
        """True for a buy: on a spot, long-only account only buys open or grow a position."""
        return self.side is Side.BUY

"""Round trips (flat -> long -> flat) derived from an account's fills of one symbol (long-only spot).

A round trip opens with the buy that takes the position off zero and closes with the sell that brings it
back to zero; buys and sells in between (adding, partial exits) belong to it. Prices and fees in quote
currency, quantities in base asset, times in ms UTC, fractions as fractions (0.02 = 2 %).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from huracan.errors import HuracanError
from huracan.execution.orders import Fill

SOURCES = ("backtest", "paper", "live", "shadow")

#: A position below this many base units counts as flat (float dust left by partial exits).
FLAT_BASE = 1e-12


class TradeMemoryError(HuracanError):
    """A round trip or its input is inconsistent; the message names what."""


@dataclass(frozen=True)
class RoundTrip:
    """One closed round trip.

    :param entry_price_quote: quantity-weighted average buy price, quote per base.
    :param exit_price_quote: quantity-weighted average sell price, quote per base.
    :param qty_base: total bought (= total sold), base.
    :param fees_quote: all fees of its fills, quote.
    :param profit_quote: sell proceeds minus buy cost minus fees, quote.
    :param profit_frac: ``profit_quote`` over the buy cost, fraction.
    :param holding_ms: ``exit_ms - entry_ms``.
    :param mae_frac: maximum adverse excursion, lowest price seen while open over the entry price minus 1
        (<= 0), fraction.
    :param mfe_frac: maximum favourable excursion, highest price seen over the entry price minus 1 (>= 0).
    :param entry_obs: the observation at entry (float32), or None when unknown.
    """

    account: str
    symbol: str
    timeframe: str
    source: str
    entry_ms: int
    exit_ms: int
    entry_price_quote: float
    exit_price_quote: float
    qty_base: float
    fees_quote: float
    profit_quote: float
    profit_frac: float
    holding_ms: int
    mae_frac: float
    mfe_frac: float
    model_name: str | None = None
    model_version: str | None = None
    entry_obs: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise TradeMemoryError(f"source must be one of {', '.join(SOURCES)}, got {self.source!r}")
        if self.exit_ms < self.entry_ms:
            raise TradeMemoryError(f"exit_ms {self.exit_ms} is before entry_ms {self.entry_ms}")


def _excursions(
    entry_price: float, prices: Sequence[float], lows: Sequence[float], highs: Sequence[float]
) -> tuple[float, float]:
    low = min([*prices, *lows])
    high = max([*prices, *highs])
    return min(0.0, low / entry_price - 1.0), max(0.0, high / entry_price - 1.0)


def round_trips(
    fills: Sequence[Fill],
    *,
    timeframe: str,
    source: str,
    candles: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> list[RoundTrip]:
    """The closed round trips of ``fills`` (one account and symbol, any order; sorted by time and trade id).

    :param candles: optional ``(ts_ms, low_quote, high_quote)`` arrays: every candle whose open time lies in
        ``[entry_ms, exit_ms]`` widens the excursions; without them only the fill prices count.
    :returns: closed round trips in time order; a position still open at the end is not one.
    :raises TradeMemoryError: fills of several accounts or symbols, or a sell larger than the position.
    """
    if not fills:
        return []
    keys = {(f.account, f.symbol) for f in fills}
    if len(keys) > 1:
        raise TradeMemoryError(f"fills must be of one account and symbol, got {sorted(keys)}")
    ordered = sorted(fills, key=lambda f: (f.ts_ms, f.trade_id))
    trips: list[RoundTrip] = []
    open_fills: list[Fill] = []
    position = 0.0
    for fill in ordered:
        if fill.side == "buy":
            position += fill.qty_base
        else:
            if fill.qty_base > position + FLAT_BASE:
                raise TradeMemoryError(
                    f"fill {fill.trade_id} sells {fill.qty_base} base but the position is {position} base"
                )
            position -= fill.qty_base
        open_fills.append(fill)
        if position <= FLAT_BASE:
            trips.append(_trip(open_fills, timeframe=timeframe, source=source, candles=candles))
            open_fills, position = [], 0.0
    return trips


def _trip(
    fills: list[Fill], *, timeframe: str, source: str, candles: tuple[np.ndarray, np.ndarray, np.ndarray] | None
) -> RoundTrip:
    buys = [f for f in fills if f.side == "buy"]
    sells = [f for f in fills if f.side == "sell"]
    bought = sum(f.qty_base for f in buys)
    cost = sum(f.qty_base * f.price_quote for f in buys)
    proceeds = sum(f.qty_base * f.price_quote for f in sells)
    sold = sum(f.qty_base for f in sells)
    fees = sum(f.fee_quote for f in fills)
    entry_price, exit_price = cost / bought, proceeds / sold
    entry_ms, exit_ms = fills[0].ts_ms, fills[-1].ts_ms
    lows: Sequence[float] = ()
    highs: Sequence[float] = ()
    if candles is not None:
        ts, low, high = candles
        inside = (ts >= entry_ms) & (ts <= exit_ms)
        lows, highs = low[inside].tolist(), high[inside].tolist()
    mae, mfe = _excursions(entry_price, [f.price_quote for f in fills], lows, highs)
    profit = proceeds - cost - fees
    return RoundTrip(
        account=fills[0].account,
        symbol=fills[0].symbol,
        timeframe=timeframe,
        source=source,
        entry_ms=entry_ms,
        exit_ms=exit_ms,
        entry_price_quote=entry_price,
        exit_price_quote=exit_price,
        qty_base=bought,
        fees_quote=fees,
        profit_quote=profit,
        profit_frac=profit / cost,
        holding_ms=exit_ms - entry_ms,
        mae_frac=mae,
        mfe_frac=mfe,
    )

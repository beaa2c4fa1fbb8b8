"""The emulator's trading prices: one candle series per symbol, a reference price and a best bid and ask.

Prices are in quote currency, quantities in the base asset, times in ms UTC (the emulator's clock).

**Price series.** Each symbol trades on one candle series, the *trading timeframe* (``TradingConfig.timeframe``,
default 1d): the simulated symbols' series of that timeframe; a CSV-only symbol without a file of that
timeframe uses its finest CSV file. (A simulated symbol's timeframes are independent series, so the order
book must follow exactly one of them: the one the strategy trades on.)

**Reference price at clock T**: the open of the series' candle containing T (open <= T < open + timeframe).
When no served candle contains T (a hole, or after the end of a CSV file) it is the close of the last candle
that opened before T; before the first candle there is no price and orders are rejected ("Market is closed.").
For the simulated market the open of a candle is the previous close, so at a candle boundary the reference
is the last close.

**Best bid and ask**: ``reference * (1 - spread_frac / 2)`` rounded down to the tick and ``reference * (1 +
spread_frac / 2)`` rounded up, at least one tick apart. Book quantities are illustrative: each level shows a
thousandth of the last closed candle's volume (at least the minimum lot); market orders fill in full at the
best price whatever their size.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from huracan.market.emulator.filters import SymbolFilters
from huracan.market.emulator.series import CandleBlock, CandleSeries, MarketData, market_id
from huracan.timeframes import DAY_MS, Timeframe

_PAGE = 1000


def dec(value: float) -> Decimal:
    """A served price or volume (8 decimals, as klines serve it) as a Decimal."""
    return Decimal(f"{value:.8f}")


@dataclass(frozen=True)
class Quote:
    """Reference price and best bid/ask of a symbol at ``clock_ms``, with the quantity shown per book level."""

    reference: Decimal
    bid: Decimal
    ask: Decimal
    level_qty: Decimal
    clock_ms: int


@dataclass(frozen=True)
class ClosedCandle:
    """A closed candle of a trading series (prices quote, volume base)."""

    open_ms: int
    close_ms: int
    low: Decimal
    high: Decimal
    volume: Decimal


class PriceBook:
    """Reference prices, quotes and closed candles of every listed symbol (see the module docstring).

    :param market: the emulator's candle sources.
    :param timeframe: the trading timeframe.
    :param csv_timeframes: timeframe names of the CSV files per unified symbol.
    :param spread_frac: full bid-ask spread as a fraction of the reference price, >= 0.
    """

    def __init__(
        self, market: MarketData, timeframe: Timeframe, csv_timeframes: Mapping[str, list[str]], spread_frac: float
    ) -> None:
        if not 0.0 <= spread_frac < 0.5:
            raise ValueError(f"spread_frac must be a fraction in [0, 0.5), got {spread_frac}")
        self.market = market
        self._half_spread = Decimal(repr(spread_frac)) / 2
        self._timeframes: dict[str, Timeframe] = {}
        for symbol in market.symbols.values():
            files = csv_timeframes.get(symbol, [])
            if symbol in market.simulated or timeframe.name in files or not files:
                self._timeframes[symbol] = timeframe
            else:
                self._timeframes[symbol] = min((Timeframe.parse(name) for name in files), key=lambda tf: tf.ms)
        self._filters = {symbol: market.filters(symbol) for symbol in market.symbols.values()}

    def timeframe(self, symbol: str) -> Timeframe:
        """The trading timeframe of a listed unified ``symbol``."""
        return self._timeframes[symbol]

    def filters(self, symbol: str) -> SymbolFilters:
        return self._filters[symbol]

    def _series(self, symbol: str) -> CandleSeries:
        return self.market.series(symbol, self._timeframes[symbol])

    def quote(self, symbol: str, clock_ms: int) -> Quote | None:
        """Reference, bid and ask of ``symbol`` at ``clock_ms``; None before its first candle."""
        series, tf = self._series(symbol), self._timeframes[symbol].ms
        last = series.page(None, clock_ms, 1, clock_ms)
        if not len(last):
            return None
        open_ms = int(last.open_ms[0])
        reference = dec(float(last.open[0]) if open_ms + tf > clock_ms else float(last.close[0]))
        closed = series.page(None, clock_ms - tf, 1, clock_ms)
        filters = self._filters[symbol]
        tick = filters.tick_size
        bid = (reference * (1 - self._half_spread) / tick).to_integral_value(ROUND_FLOOR) * tick
        ask = (reference * (1 + self._half_spread) / tick).to_integral_value(ROUND_CEILING) * tick
        ask = max(ask, bid + tick)
        volume = dec(float(closed.volume[0])) if len(closed) else Decimal(0)
        level = max(filters.floor_qty(volume / 1000), filters.min_qty)
        return Quote(reference, bid, ask, level, clock_ms)

    def closed_candles(self, symbol: str, from_open_ms: int, clock_ms: int) -> Iterator[ClosedCandle]:
        """The candles of ``symbol`` with open >= ``from_open_ms`` that have closed by ``clock_ms``, in order."""
        series, tf = self._series(symbol), self._timeframes[symbol].ms
        start = from_open_ms
        while True:
            block = series.page(start, clock_ms - tf, _PAGE, clock_ms)
            for i in range(len(block)):
                open_ms = int(block.open_ms[i])
                yield ClosedCandle(
                    open_ms, open_ms + tf - 1, dec(block.low[i]), dec(block.high[i]), dec(block.volume[i])
                )
            if len(block) < _PAGE:
                return
            start = int(block.open_ms[-1]) + 1

    def ticker_24h(self, symbol: str, quote: Quote) -> dict[str, Any]:
        """Binance ``GET /api/v3/ticker/24hr`` body (FULL) over the series' candles opening in the last 24 h;
        the last price is the reference price."""
        clock = quote.clock_ms
        block: CandleBlock = self._series(symbol).page(clock - DAY_MS, clock, _PAGE, clock)
        last = quote.reference
        if len(block):
            open_price = dec(block.open[0])
            high, low = max(dec(block.high.max()), last), min(dec(block.low.min()), last)
            volume, quote_volume = dec(block.volume.sum()), dec(block.quote_volume.sum())
            count = int(block.trades.sum())
        else:
            open_price = high = low = last
            volume = quote_volume = Decimal(0)
            count = 0
        change = last - open_price
        return {
            "symbol": market_id(symbol),
            "priceChange": f"{change:.8f}",
            "priceChangePercent": f"{(change / open_price * 100) if open_price else Decimal(0):.3f}",
            "weightedAvgPrice": f"{(quote_volume / volume) if volume else last:.8f}",
            "prevClosePrice": f"{open_price:.8f}",
            "lastPrice": f"{last:.8f}",
            "lastQty": f"{quote.level_qty:.8f}",
            "bidPrice": f"{quote.bid:.8f}",
            "bidQty": f"{quote.level_qty:.8f}",
            "askPrice": f"{quote.ask:.8f}",
            "askQty": f"{quote.level_qty:.8f}",
            "openPrice": f"{open_price:.8f}",
            "highPrice": f"{high:.8f}",
            "lowPrice": f"{low:.8f}",
            "volume": f"{volume:.8f}",
            "quoteVolume": f"{quote_volume:.8f}",
            "openTime": clock - DAY_MS,
            "closeTime": clock,
            "firstId": 0 if count else -1,
            "lastId": count - 1,
            "count": count,
        }

    def depth(self, quote: Quote, symbol: str, limit: int) -> dict[str, Any]:
        """Binance ``GET /api/v3/depth`` body: ``limit`` levels a tick apart from the best bid and ask."""
        tick, qty = self._filters[symbol].tick_size, f"{quote.level_qty:.8f}"
        bids = [[f"{quote.bid - i * tick:.8f}", qty] for i in range(limit) if quote.bid - i * tick > 0]
        asks = [[f"{quote.ask + i * tick:.8f}", qty] for i in range(limit)]
        return {"lastUpdateId": quote.clock_ms, "bids": bids, "asks": asks}

"""Candle sources behind the emulator's klines endpoint, and how a page of candles is chosen.

Times are epoch milliseconds UTC (``*_ms``); prices in quote currency; volumes in the base asset.

Sources:

- :class:`CsvSeries`: a file with header ``timestamp,open,high,low,close,volume`` (timestamp = open time,
  integer ms UTC), one file per (symbol, timeframe). Candles missing in the file are missing in responses.
  The file has no quote volume, trade count or taker volumes: those are derived (quote volume = volume x
  mean of OHLC, trades = quote volume / 500, taker buys = half) and are approximations.
- :class:`SimSeries`: the seeded simulated market of :mod:`huracan.market.emulator.simulated`.
- :class:`EmptySeries`: other timeframes of a CSV-only symbol.

:class:`MarketData` holds every listed symbol's series and builds the exchangeInfo listing.

Serving (:meth:`CandleSeries.page`), like Binance spot ``GET /api/v3/klines``: only candles with open time
<= the clock exist. Candles whose close (open + timeframe) <= clock are final. The still-forming candle
(open <= clock < open + timeframe) is served too, as the last row, with partial values that depend only on
the clock: open is its open, close/high/low/volume follow a path that reaches the final candle at its
close. **Clients must drop the forming candle themselves.** Holes (:meth:`CandleSeries.add_holes`) are
candles the exchange never serves; ``limit`` counts served candles only.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from huracan.errors import CsvFormatError, UnknownSymbolError
from huracan.market.emulator.simulated import SimulatedSeries, SimulationParams, default_start_price
from huracan.timeframes import Timeframe

logger = logging.getLogger(__name__)

_ROW = '[%d,"%.8f","%.8f","%.8f","%.8f","%.8f",%d,"%.8f",%d,"%.8f","%.8f","0"]'
_CSV_HEADER = ["timestamp", "open", "high", "low", "close", "volume"]


@dataclass
class CandleBlock:
    """Consecutive served candles as arrays (``open_ms`` int64, ``trades`` int64, the rest float64)."""

    tf_ms: int
    open_ms: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    quote_volume: np.ndarray
    trades: np.ndarray
    taker_base: np.ndarray
    taker_quote: np.ndarray

    def __len__(self) -> int:
        return len(self.open_ms)

    def take(self, keep: np.ndarray | slice) -> CandleBlock:
        """The rows selected by a boolean mask, an index array or a slice."""
        return CandleBlock(self.tf_ms, *(getattr(self, f.name)[keep] for f in fields(self)[1:]))

    def to_json(self) -> str:
        """Binance kline rows as JSON text: ``[openTime, "open", "high", "low", "close", "volume",
        closeTime, "quoteVolume", trades, "takerBuyBase", "takerBuyQuote", "0"]``, 8-decimal strings."""
        cols = zip(
            self.open_ms.tolist(),
            self.open.tolist(),
            self.high.tolist(),
            self.low.tolist(),
            self.close.tolist(),
            self.volume.tolist(),
            (self.open_ms + (self.tf_ms - 1)).tolist(),
            self.quote_volume.tolist(),
            self.trades.tolist(),
            self.taker_base.tolist(),
            self.taker_quote.tolist(),
            strict=True,
        )
        return "[" + ",".join([_ROW % row for row in cols]) + "]"


def _empty_block(tf_ms: int) -> CandleBlock:
    f, i = np.empty(0), np.empty(0, dtype=np.int64)
    return CandleBlock(tf_ms, i, f, f, f, f, f, f, i, f, f)


def partial_candle(block: CandleBlock, row: int, frac: float, z: float) -> None:
    """Replace ``block[row]`` (in place) by the forming candle's values at ``frac`` (0..1) of its length.

    The partial close is a log-space Brownian bridge from open to the final close with standard normal
    ``z``, kept inside the final [low, high]; partial high/low move from max/min(open, close) towards the
    final high/low; volumes scale with ``frac``. At ``frac=0`` every price is the open and volume is 0.
    """
    o, h, lo, c = (float(getattr(block, n)[row]) for n in ("open", "high", "low", "close"))
    scale = (np.log(h) - np.log(lo)) / 2.0
    path = np.log(o) + frac * (np.log(c) - np.log(o)) + z * scale * np.sqrt(frac * (1.0 - frac))
    price = min(max(float(np.exp(path)), lo), h)
    top, bottom = max(o, price), min(o, price)
    block.close[row] = price
    block.high[row] = top + frac * (h - top)
    block.low[row] = bottom - frac * (bottom - lo)
    for name in ("volume", "quote_volume", "taker_base", "taker_quote"):
        getattr(block, name)[row] *= frac
    block.trades[row] = int(block.trades[row] * frac)


class CandleSeries:
    """A (symbol, timeframe) candle source: candles addressed by an index, increasing with open time."""

    def __init__(self, timeframe: Timeframe) -> None:
        self.timeframe = timeframe
        self._holes = np.empty(0, dtype=np.int64)  # open times, sorted, unique
        self._lock = threading.Lock()

    # Subclasses implement these three (and may override _bridge_z).
    def _bounds(self, start_ms: int | None, last_ms: int) -> tuple[int, int]:
        """Index range [lo, hi) of candles with start_ms <= open <= last_ms."""
        raise NotImplementedError

    def _open_ms(self, lo: int, hi: int) -> np.ndarray:
        raise NotImplementedError

    def _block(self, lo: int, hi: int) -> CandleBlock:
        raise NotImplementedError

    def _bridge_z(self, open_ms: int) -> float:
        return float(np.random.default_rng(open_ms).standard_normal())

    def add_holes(self, open_ms: list[int] | np.ndarray) -> None:
        """Mark candles (by open time, ms UTC) as permanently missing: never served."""
        with self._lock:
            self._holes = np.union1d(self._holes, np.asarray(open_ms, dtype=np.int64))

    def page(self, start_ms: int | None, end_ms: int | None, limit: int, clock_ms: int) -> CandleBlock:
        """The candles a klines request returns (see the module docstring).

        :param start_ms: with it, the first ``limit`` candles with open >= start_ms.
        :param end_ms: only candles with open <= end_ms; without ``start_ms``, the last ``limit`` of them.
        :param limit: maximum rows, >= 1.
        :param clock_ms: the emulator clock; no candle opening after it is served.
        """
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        tf = self.timeframe.ms
        last_ms = clock_ms if end_ms is None else min(end_ms, clock_ms)
        lo, hi = self._bounds(start_ms, last_ms)
        if hi <= lo:
            return _empty_block(tf)
        holes = self._holes
        if len(holes):
            # Widen the index window until it holds `limit` non-hole candles (or hits the bound).
            first, last = int(self._open_ms(lo, lo + 1)[0]), int(self._open_ms(hi - 1, hi)[0])
            holes = holes[(holes >= first) & (holes <= last)]
        if start_ms is not None:
            stop = min(hi, lo + limit)
            while len(holes) and stop < hi:
                wanted = min(hi, lo + limit + int(np.count_nonzero(holes <= self._open_ms(stop - 1, stop)[0])))
                if wanted == stop:
                    break
                stop = wanted
            lo, hi = lo, stop
        else:
            begin = max(lo, hi - limit)
            while len(holes) and begin > lo:
                wanted = max(lo, hi - limit - int(np.count_nonzero(holes >= self._open_ms(begin, begin + 1)[0])))
                if wanted == begin:
                    break
                begin = wanted
            lo = begin
        block = self._block(lo, hi)
        if len(holes):
            block = block.take(~np.isin(block.open_ms, holes))
            block = block.take(slice(0, limit)) if start_ms is not None else block.take(slice(-limit, None))
        if len(block) and int(block.open_ms[-1]) + tf > clock_ms:
            open_ms = int(block.open_ms[-1])
            partial_candle(block, len(block) - 1, (clock_ms - open_ms) / tf, self._bridge_z(open_ms))
        return block


class EmptySeries(CandleSeries):
    """A series with no candles (a timeframe a CSV-only symbol has no file for)."""

    def _bounds(self, start_ms: int | None, last_ms: int) -> tuple[int, int]:
        return 0, 0


class SimSeries(CandleSeries):
    """The simulated market (:class:`SimulatedSeries`) served by index ``(open_ms - origin_ms) / tf``."""

    def __init__(self, sim: SimulatedSeries) -> None:
        super().__init__(sim.timeframe)
        self.sim = sim

    def _bounds(self, start_ms: int | None, last_ms: int) -> tuple[int, int]:
        tf, origin = self.timeframe.ms, self.sim.origin_ms
        lo = 0 if start_ms is None else max(0, -((origin - start_ms) // tf))
        hi = max(0, (last_ms - origin) // tf + 1)
        return lo, hi

    def _open_ms(self, lo: int, hi: int) -> np.ndarray:
        return self.sim.origin_ms + self.timeframe.ms * np.arange(lo, hi, dtype=np.int64)

    def _block(self, lo: int, hi: int) -> CandleBlock:
        c = self.sim.columns(lo, hi)
        # Copies: partial_candle writes into the block and must not touch the cached chunk.
        return CandleBlock(
            self.timeframe.ms,
            self._open_ms(lo, hi),
            c["open"].copy(),
            c["high"].copy(),
            c["low"].copy(),
            c["close"].copy(),
            c["volume"].copy(),
            c["quote_volume"].copy(),
            c["trades"].copy(),
            c["taker_base"].copy(),
            c["taker_quote"].copy(),
        )

    def _bridge_z(self, open_ms: int) -> float:
        index = (open_ms - self.sim.origin_ms) // self.timeframe.ms
        return float(self.sim.columns(index, index + 1)["bridge_z"][0])


class CsvSeries(CandleSeries):
    """Candles read once from a CSV file; see the module docstring for the format and derived fields.

    Raises :class:`CsvFormatError` naming the file when the header, types, order or spacing is wrong.
    """

    def __init__(self, path: Path, timeframe: Timeframe) -> None:
        super().__init__(timeframe)
        self.path = Path(path)
        try:
            frame = pd.read_csv(self.path, dtype={"timestamp": "int64"})
        except (ValueError, OSError) as e:
            raise CsvFormatError(f"{self.path}: cannot read candles: {e}") from e
        if list(frame.columns) != _CSV_HEADER:
            raise CsvFormatError(f"{self.path}: header must be {','.join(_CSV_HEADER)}, got {list(frame.columns)}")
        ts = frame["timestamp"].to_numpy(np.int64)
        steps = np.diff(ts)
        if len(steps) and (steps.min() <= 0 or np.any(steps % timeframe.ms)):
            raise CsvFormatError(
                f"{self.path}: timestamps must increase by multiples of {timeframe} ({timeframe.ms} ms)"
            )
        if re.search(r"\.\d{9,}", self.path.read_text()):
            logger.warning("%s has values with more than 8 decimals; they are served rounded", self.path)
        self._ts = ts
        self._cols = {n: frame[n].to_numpy(np.float64) for n in ("open", "high", "low", "close", "volume")}
        typical = (self._cols["open"] + self._cols["high"] + self._cols["low"] + self._cols["close"]) / 4
        self._cols["quote_volume"] = self._cols["volume"] * typical
        self._cols["taker_base"] = self._cols["volume"] / 2
        self._cols["taker_quote"] = self._cols["quote_volume"] / 2
        self._trades = np.rint(self._cols["quote_volume"] / 500.0).astype(np.int64)
        logger.info("loaded %d %s candles from %s", len(ts), timeframe, self.path)

    def _bounds(self, start_ms: int | None, last_ms: int) -> tuple[int, int]:
        lo = 0 if start_ms is None else int(np.searchsorted(self._ts, start_ms, side="left"))
        return lo, int(np.searchsorted(self._ts, last_ms, side="right"))

    def _open_ms(self, lo: int, hi: int) -> np.ndarray:
        return self._ts[lo:hi]

    def _block(self, lo: int, hi: int) -> CandleBlock:
        c = self._cols
        return CandleBlock(
            self.timeframe.ms,
            self._ts[lo:hi].copy(),
            c["open"][lo:hi].copy(),
            c["high"][lo:hi].copy(),
            c["low"][lo:hi].copy(),
            c["close"][lo:hi].copy(),
            c["volume"][lo:hi].copy(),
            c["quote_volume"][lo:hi].copy(),
            self._trades[lo:hi].copy(),
            c["taker_base"][lo:hi].copy(),
            c["taker_quote"][lo:hi].copy(),
        )


def market_id(symbol: str) -> str:
    """Binance market id of a unified symbol: "BTC/USDT" -> "BTCUSDT"."""
    base, sep, quote = symbol.partition("/")
    if not sep or not base or not quote:
        raise ValueError(f"symbol must look like BASE/QUOTE, got {symbol!r}")
    return base + quote


class MarketData:
    """Every listed symbol's series: CSV files where given, the simulated market for the rest.

    :param seed: simulated-market seed.
    :param symbols: simulated symbols (unified, "BTC/USDT"); they serve every supported timeframe.
    :param csv: CSV file per (symbol, timeframe name); its symbol is listed too. A CSV-only symbol serves
        no candles for other timeframes.
    :param sim_start_ms: first simulated open time, ms UTC.
    :param start_prices: simulated start price per symbol, quote currency (default: derived).
    :param params: simulated-market parameters.
    """

    def __init__(
        self,
        seed: int,
        symbols: tuple[str, ...],
        csv: dict[tuple[str, str], Path],
        sim_start_ms: int,
        start_prices: dict[str, float] | None = None,
        params: SimulationParams | None = None,
    ) -> None:
        self.seed, self.sim_start_ms, self.params = seed, sim_start_ms, params
        self.start_prices = dict(start_prices or {})
        self.simulated = tuple(dict.fromkeys(symbols))
        listed = dict.fromkeys([*self.simulated, *(symbol for symbol, _ in csv)])
        self.symbols: dict[str, str] = {market_id(s): s for s in listed}  # market id -> unified symbol
        self._series: dict[tuple[str, str], CandleSeries] = {}
        self._lock = threading.Lock()
        for (symbol, tf_name), path in csv.items():
            self._series[(symbol, tf_name)] = CsvSeries(path, Timeframe.parse(tf_name))

    def series(self, symbol: str, timeframe: Timeframe) -> CandleSeries:
        """The series of a listed unified ``symbol``, created on first use; else :class:`UnknownSymbolError`."""
        key = (symbol, timeframe.name)
        with self._lock:
            found = self._series.get(key)
            if found is None:
                if symbol not in self.simulated:
                    if symbol not in self.symbols.values():
                        listed = ", ".join(self.symbols.values()) or "none"
                        raise UnknownSymbolError(f"{symbol!r} is not listed by the emulator (listed: {listed})")
                    found = EmptySeries(timeframe)
                else:
                    sim = SimulatedSeries(
                        self.seed, symbol, timeframe, self.sim_start_ms, self.start_prices.get(symbol), self.params
                    )
                    found = SimSeries(sim)
                self._series[key] = found
            return found

    def exchange_info(self, server_time_ms: int, market: str | None = None) -> dict[str, Any]:
        """Binance ``GET /api/v3/exchangeInfo`` body for every listed symbol (or the one ``market`` id)."""
        return {
            "timezone": "UTC",
            "serverTime": server_time_ms,
            "rateLimits": [
                {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
                {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
                {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
                {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
            ],
            "exchangeFilters": [],
            "symbols": [self._symbol_info(s) for m, s in self.symbols.items() if market in (None, m)],
        }

    def _symbol_info(self, symbol: str) -> dict[str, Any]:
        """exchangeInfo entry; tick and lot step follow the price level (BTC at 10,000: 0.01 and 0.00001)."""
        base, _, quote = symbol.partition("/")
        price = self.start_prices.get(symbol) or default_start_price(symbol)
        tick = min(0.01, max(1e-8, 10.0 ** (math.floor(math.log10(price)) - 6)))
        step = min(1.0, max(1e-8, 10.0 ** (math.floor(math.log10(10.0 / price)) - 2)))
        return {
            "symbol": market_id(symbol),
            "status": "TRADING",
            "baseAsset": base,
            "baseAssetPrecision": 8,
            "quoteAsset": quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": [
                "LIMIT",
                "LIMIT_MAKER",
                "MARKET",
                "STOP_LOSS",
                "STOP_LOSS_LIMIT",
                "TAKE_PROFIT",
                "TAKE_PROFIT_LIMIT",
            ],
            "icebergAllowed": True,
            "ocoAllowed": True,
            "otoAllowed": True,
            "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": True,
            "cancelReplaceAllowed": True,
            "amendAllowed": True,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": f"{tick:.8f}",
                    "maxPrice": f"{price * 1e4:.8f}",
                    "tickSize": f"{tick:.8f}",
                },
                {
                    "filterType": "LOT_SIZE",
                    "minQty": f"{step:.8f}",
                    "maxQty": "9000000.00000000",
                    "stepSize": f"{step:.8f}",
                },
                {"filterType": "ICEBERG_PARTS", "limit": 10},
                {
                    "filterType": "MARKET_LOT_SIZE",
                    "minQty": "0.00000000",
                    "maxQty": "9000000.00000000",
                    "stepSize": "0.00000000",
                },
                {
                    "filterType": "TRAILING_DELTA",
                    "minTrailingAboveDelta": 10,
                    "maxTrailingAboveDelta": 2000,
                    "minTrailingBelowDelta": 10,
                    "maxTrailingBelowDelta": 2000,
                },
                {
                    "filterType": "PERCENT_PRICE_BY_SIDE",
                    "bidMultiplierUp": "5",
                    "bidMultiplierDown": "0.2",
                    "askMultiplierUp": "5",
                    "askMultiplierDown": "0.2",
                    "avgPriceMins": 5,
                },
                {
                    "filterType": "NOTIONAL",
                    "minNotional": "5.00000000",
                    "applyMinToMarket": True,
                    "maxNotional": "9000000.00000000",
                    "applyMaxToMarket": False,
                    "avgPriceMins": 5,
                },
                {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
                {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
            ],
            "permissions": [],
            "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
        }

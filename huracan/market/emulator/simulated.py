"""The simulated market: a seeded, lazily generated, prefix-consistent candle series.

Model (per candle of length ``dt`` days; all rates are per day, volatilities per sqrt(day)):

- **Regimes.** A Markov chain over bull / bear / sideways. Each regime lasts a geometric number of
  candles with mean ``mean_duration_days / dt`` (at least one candle), then jumps to another regime
  by :attr:`SimulationParams.transitions`. Regime durations are calendar time, so a 1h series has 24x
  as many candles per regime as a 1d series.
- **Price.** Log price ``x`` follows ``x_t = x_{t-1} + mu_r dt - k (x_{t-1} - x_0) + sigma_t eps_t`` with
  ``eps_t`` Student-t (``tail_dof`` degrees of freedom) scaled to unit variance. ``k`` is a very weak
  pull (half-life :attr:`SimulationParams.reversion_half_life_days`, default 2 years) towards the
  start price that keeps decades of simulated prices in a plausible band; at candle scale the walk is
  geometric.
- **Volatility clustering.** ``sigma_t = sigma_r sqrt(dt) exp(h_t - s^2)`` where the log-volatility
  ``h`` is a stationary AR(1) with standard deviation ``s`` and correlation time ``vol_memory_days``.
- **Candles.** open = previous close; high/low extend max/min(open, close) by half-normal wicks of
  ``wick_scale * sigma_t``; volume (base asset) grows with ``sigma_t`` and with ``|eps_t|``, times
  lognormal noise (correlation with |return| about 0.7).

**The learnable regularity.** Trend regimes (bull drift +0.4 %/day over ~45 days, bear -0.5 %/day over
~30 days, by default) persist for many candles. A trailing-return momentum rule (long when the last
``k`` candles rose, flat otherwise) therefore earns more than buy & hold net of 0.1 % fees on average
(``tests/market/test_simulated.py`` checks it over many seeds on 1d candles). Timeframes of one symbol
are independent series (a 1d candle is *not* the aggregate of that symbol's 1h candles).

**Generation.** Candles are generated in chunks of :data:`CHUNK_CANDLES`. Chunk ``c`` draws from its own
RNG seeded by ``(seed, symbol, timeframe, c)`` and starts from the scalar state (log price, log-vol,
regime, candles left in regime) at the end of chunk ``c - 1``, so candle ``i`` never depends on how far
the series was generated or requested: the series is prefix-consistent. Only chunk-boundary states and
a few recent chunks' arrays are kept, so memory is proportional to what was requested.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from scipy.signal import lfilter

from huracan.timeframes import DAY_MS, Timeframe

logger = logging.getLogger(__name__)

CHUNK_CANDLES = 65_536
"""Candles per generation chunk (1m: ~45 days; 1h: ~7.5 years; 1d: ~180 years)."""
_CACHED_CHUNKS = 4
_DTYPES = {"trades": np.int64, "regime": np.int8}

BULL, BEAR, SIDEWAYS = 0, 1, 2
REGIME_NAMES = ("bull", "bear", "sideways")

# Reference start prices in quote currency for well-known bases (USD-like quotes).
_KNOWN_PRICES = {"BTC": 10_000.0, "ETH": 300.0, "BNB": 30.0, "SOL": 20.0, "XRP": 0.5, "ADA": 0.3, "DOGE": 0.05}
_USD_QUOTES = {"USDT", "USDC", "BUSD", "FDUSD", "TUSD", "USD", "DAI"}


@dataclass(frozen=True)
class SimulationParams:
    """Parameters of the simulated market, per regime in the order (bull, bear, sideways).

    :param drift_per_day: log drift per day of each regime (0.004 = +0.4 %/day).
    :param vol_per_sqrt_day: volatility of log returns per sqrt(day) of each regime (0.03 = 3 %).
    :param mean_duration_days: mean length of each regime, days.
    :param transitions: row r gives the probabilities of the next regime when regime r ends (diagonal 0).
    :param tail_dof: Student-t degrees of freedom of the innovations (> 4 for finite kurtosis).
    :param vol_of_logvol: stationary standard deviation of the log-volatility AR(1).
    :param vol_memory_days: correlation time of the log-volatility, days.
    :param reversion_half_life_days: half-life of the pull of log price towards the start price, days;
        ``None`` disables it (a pure regime-switching geometric walk).
    :param wick_scale: mean wick length in units of the candle's volatility (times E|N| = 0.8).
    :param daily_quote_volume: typical traded value per day, quote currency; base volume is this
        divided by the start price, scaled per candle.
    :param avg_trade_quote: average trade size, quote currency (gives the number of trades).
    """

    drift_per_day: tuple[float, float, float] = (0.004, -0.005, 0.0)
    vol_per_sqrt_day: tuple[float, float, float] = (0.03, 0.04, 0.02)
    mean_duration_days: tuple[float, float, float] = (45.0, 30.0, 30.0)
    transitions: tuple[tuple[float, float, float], ...] = ((0.0, 0.5, 0.5), (0.5, 0.0, 0.5), (0.55, 0.45, 0.0))
    tail_dof: float = 5.0
    vol_of_logvol: float = 0.4
    vol_memory_days: float = 5.0
    reversion_half_life_days: float | None = 730.0
    wick_scale: float = 0.5
    daily_quote_volume: float = 5e8
    avg_trade_quote: float = 500.0

    def __post_init__(self) -> None:
        if self.tail_dof <= 2:
            raise ValueError(f"tail_dof must be > 2 for a finite variance, got {self.tail_dof}")
        if min(self.mean_duration_days) <= 0 or min(self.vol_per_sqrt_day) <= 0:
            raise ValueError("mean_duration_days and vol_per_sqrt_day must be positive")
        for row in self.transitions:
            if len(row) != 3 or abs(sum(row) - 1.0) > 1e-9 or min(row) < 0:
                raise ValueError(f"each transitions row must be 3 probabilities summing to 1, got {row}")


#: Named simulated markets (``huracan emulator --market NAME``):
#:
#: - ``default``: the :class:`SimulationParams` defaults (bull +0.4 %/day over ~45 days, bear -0.5 %/day
#:   over ~30 days, 2-4 % daily volatility).
#: - ``trending``: stronger, longer trends and calmer days (bull +0.8 %/day over ~90 days, bear -0.8 %/day
#:   over ~60 days, 1.5-2.5 % daily volatility): a regularity a few minutes of PPO training on daily
#:   candles can learn, on most windows.
#: - ``planted``: strong, persistent trends (+-1.5 %/day for weeks against 1.5 %/day of noise, almost no
#:   pull back to the start price): a momentum rule beats buy & hold by far net of fees, so a short PPO
#:   run must learn it. The learning tests and ``make run`` use it; if training cannot beat buy & hold
#:   here, it is broken.
MARKET_PRESETS: dict[str, SimulationParams] = {
    "default": SimulationParams(),
    "trending": SimulationParams(
        drift_per_day=(0.008, -0.008, 0.0),
        vol_per_sqrt_day=(0.02, 0.025, 0.015),
        mean_duration_days=(90.0, 60.0, 30.0),
    ),
    "planted": SimulationParams(
        drift_per_day=(0.015, -0.015, 0.0),
        vol_per_sqrt_day=(0.015, 0.015, 0.015),
        mean_duration_days=(30.0, 20.0, 10.0),
        reversion_half_life_days=3650.0,
    ),
}


@dataclass(frozen=True)
class _State:
    """Scalar state carried from one chunk to the next."""

    log_price: float
    log_vol: float
    regime: int
    regime_left: int  # candles left in the current regime (0: draw a new regime first)


@dataclass
class Chunk:
    """Arrays of one chunk of candles; prices in quote currency, volumes in base asset.

    ``bridge_z`` is a standard normal per candle used to draw the still-forming candle's partial path.
    """

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    quote_volume: np.ndarray
    trades: np.ndarray
    taker_base: np.ndarray
    taker_quote: np.ndarray
    bridge_z: np.ndarray
    regime: np.ndarray
    end_state: _State = field(repr=False)

    COLUMNS = (
        "open",
        "high",
        "low",
        "close",
        "volume",
        "quote_volume",
        "trades",
        "taker_base",
        "taker_quote",
        "bridge_z",
        "regime",
    )


def stable_hash(text: str) -> int:
    """A 63-bit hash of ``text`` that is the same in every process (unlike :func:`hash`)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


def default_start_price(symbol: str) -> float:
    """Start price in quote currency: known references for USD-like quotes, else derived from the symbol."""
    base, _, quote = symbol.partition("/")
    if quote in _USD_QUOTES and base in _KNOWN_PRICES:
        return _KNOWN_PRICES[base]
    # 10 ** U(-1, 3), rounded to 4 significant digits, deterministic per symbol.
    exponent = -1.0 + 4.0 * (stable_hash(symbol) % 1_000_003) / 1_000_003
    return float(f"{10.0**exponent:.4g}")


class SimulatedSeries:
    """One simulated (symbol, timeframe) series; candle ``i`` opens at ``origin_ms + i * timeframe.ms``.

    :param seed: market seed; same seed, symbol and timeframe give identical candles.
    :param symbol: unified symbol, e.g. "BTC/USDT" (part of the RNG seed).
    :param timeframe: the candle timeframe.
    :param start_ms: first open time, ms UTC; rounded up to the timeframe grid (``origin_ms``).
    :param start_price: open of the first candle, quote currency; ``None`` means
        :func:`default_start_price`.
    :param params: model parameters.
    """

    def __init__(
        self,
        seed: int,
        symbol: str,
        timeframe: Timeframe,
        start_ms: int,
        start_price: float | None = None,
        params: SimulationParams | None = None,
    ) -> None:
        self.seed = int(seed)
        self.symbol = symbol
        self.timeframe = timeframe
        self.origin_ms = timeframe.ceil(int(start_ms))
        self.start_price = float(start_price if start_price is not None else default_start_price(symbol))
        if not self.start_price > 0:
            raise ValueError(f"start_price must be > 0, got {self.start_price}")
        self.params = params or SimulationParams()
        self._symbol_key = stable_hash(symbol)
        self._dt = timeframe.ms / DAY_MS
        self._lock = threading.Lock()
        self._states: list[_State] = [_State(math.log(self.start_price), 0.0, SIDEWAYS, 0)]
        self._chunks: OrderedDict[int, Chunk] = OrderedDict()

    def chunk(self, index: int) -> Chunk:
        """Chunk ``index`` (candles ``index * CHUNK_CANDLES`` onwards), generating earlier ones if needed."""
        if index < 0:
            raise ValueError(f"chunk index must be >= 0, got {index}")
        with self._lock:
            cached = self._chunks.get(index)
            if cached is not None:
                self._chunks.move_to_end(index)
                return cached
            while len(self._states) <= index:  # walk forward, keeping only boundary states
                walked = len(self._states) - 1
                chunk = self._chunks.get(walked) or self._generate(walked, self._states[walked])
                self._states.append(chunk.end_state)
            chunk = self._generate(index, self._states[index])
            if len(self._states) == index + 1:
                self._states.append(chunk.end_state)
            self._chunks[index] = chunk
            while len(self._chunks) > _CACHED_CHUNKS:
                self._chunks.popitem(last=False)
            return chunk

    def columns(self, lo: int, hi: int) -> dict[str, np.ndarray]:
        """Candles ``lo`` (inclusive) to ``hi`` (exclusive) as arrays named like :attr:`Chunk.COLUMNS`."""
        if lo < 0 or hi < lo:
            raise ValueError(f"bad candle index range [{lo}, {hi})")
        if lo == hi:
            return {name: np.empty(0, dtype=_DTYPES.get(name, np.float64)) for name in Chunk.COLUMNS}
        parts: dict[str, list[np.ndarray]] = {name: [] for name in Chunk.COLUMNS}
        index = lo
        while index < hi:
            c, offset = divmod(index, CHUNK_CANDLES)
            stop = min(hi - c * CHUNK_CANDLES, CHUNK_CANDLES)
            chunk = self.chunk(c)
            for name in Chunk.COLUMNS:
                parts[name].append(getattr(chunk, name)[offset:stop])
            index = c * CHUNK_CANDLES + stop
        return {name: arrays[0] if len(arrays) == 1 else np.concatenate(arrays) for name, arrays in parts.items()}

    # --- generation --------------------------------------------------------------------------------

    def _rng(self, chunk_index: int) -> np.random.Generator:
        key = [self.seed, self._symbol_key, self.timeframe.ms, chunk_index]
        return np.random.default_rng(np.random.SeedSequence(key))

    def _regimes(self, rng: np.random.Generator, n: int, state: _State) -> tuple[np.ndarray, int, int]:
        """Regime of each of ``n`` candles, the last regime and the candles it still has to run."""
        p = self.params
        leave = np.minimum(1.0, self._dt / np.asarray(p.mean_duration_days))
        cum = np.cumsum(np.asarray(p.transitions), axis=1)
        out = np.empty(n, dtype=np.int8)
        regime, left, pos = state.regime, state.regime_left, 0
        while pos < n:
            if left == 0:
                regime = int(np.searchsorted(cum[regime], rng.random() * cum[regime][-1], side="right"))
                regime = min(regime, 2)
                left = int(rng.geometric(leave[regime]))
            take = min(left, n - pos)
            out[pos : pos + take] = regime
            pos += take
            left -= take
        return out, regime, left

    def _generate(self, chunk_index: int, state: _State) -> Chunk:
        p, n, dt = self.params, CHUNK_CANDLES, self._dt
        rng = self._rng(chunk_index)
        regime, last_regime, left = self._regimes(rng, n, state)
        # Log-volatility AR(1), unit-free; phi from the correlation time in days.
        phi = math.exp(-dt / p.vol_memory_days)
        eta = rng.standard_normal(n) * (p.vol_of_logvol * math.sqrt(1.0 - phi * phi))
        log_vol = lfilter([1.0], [1.0, -phi], eta, zi=[phi * state.log_vol])[0]
        sigma = np.asarray(p.vol_per_sqrt_day)[regime] * math.sqrt(dt) * np.exp(log_vol - p.vol_of_logvol**2)
        eps = rng.standard_t(p.tail_dof, n) / math.sqrt(p.tail_dof / (p.tail_dof - 2.0))
        drift = np.asarray(p.drift_per_day)[regime] * dt
        # Log price: x_t = a x_{t-1} + (1 - a) x0 + drift + sigma eps, with a = 1 - k (k = 0: a walk).
        x0 = math.log(self.start_price)
        k = 0.0 if p.reversion_half_life_days is None else 1.0 - 0.5 ** (dt / p.reversion_half_life_days)
        a = 1.0 - k
        steps = drift + sigma * eps
        y = lfilter([1.0], [1.0, -a], steps, zi=[a * (state.log_price - x0)])[0]  # y = x - x0
        log_close = x0 + y
        log_open = np.empty(n)
        log_open[0] = state.log_price
        log_open[1:] = log_close[:-1]
        upper = np.abs(rng.standard_normal(n)) * (p.wick_scale * sigma)
        lower = np.abs(rng.standard_normal(n)) * (p.wick_scale * sigma)
        open_ = np.exp(log_open)
        close = np.exp(log_close)
        high = np.exp(np.maximum(log_open, log_close) + upper)
        low = np.exp(np.minimum(log_open, log_close) - lower)
        # Volume in base asset: proportional to candle length, to volatility and to (0.4 + |eps|).
        base_per_day = p.daily_quote_volume / self.start_price
        sigma_ref = float(np.mean(np.asarray(p.vol_per_sqrt_day))) * math.sqrt(dt)
        noise = np.exp(0.5 * rng.standard_normal(n) - 0.125)  # lognormal, mean 1
        volume = base_per_day * dt * (sigma / sigma_ref) * (0.6 + np.abs(eps)) / 1.4 * noise
        typical = (open_ + high + low + close) / 4.0
        quote_volume = volume * typical
        trades = np.maximum(1, np.rint(quote_volume / p.avg_trade_quote)).astype(np.int64)
        taker_base = volume * (0.5 + 0.15 * np.tanh(eps))
        taker_quote = taker_base * typical
        bridge_z = rng.standard_normal(n)
        end = _State(float(log_close[-1]), float(log_vol[-1]), last_regime, left)
        logger.debug("generated %s %s chunk %d", self.symbol, self.timeframe, chunk_index)
        return Chunk(
            open_, high, low, close, volume, quote_volume, trades, taker_base, taker_quote, bridge_z, regime, end
        )

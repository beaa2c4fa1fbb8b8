"""Candle timeframes: their length and their grid.

A timeframe's grid is every multiple of its length since the Unix epoch (UTC), which is how Binance
aligns candles of 1m up to 1d. Longer or calendar timeframes (3d, 1w, 1M) are not supported because
their grid is not a plain multiple of the epoch.
"""

from __future__ import annotations

from dataclasses import dataclass

from huracan.errors import UnknownTimeframeError

_MINUTE_MS = 60_000

TIMEFRAME_MS: dict[str, int] = {
    "1m": _MINUTE_MS,
    "3m": 3 * _MINUTE_MS,
    "5m": 5 * _MINUTE_MS,
    "15m": 15 * _MINUTE_MS,
    "30m": 30 * _MINUTE_MS,
    "1h": 60 * _MINUTE_MS,
    "2h": 120 * _MINUTE_MS,
    "4h": 240 * _MINUTE_MS,
    "6h": 360 * _MINUTE_MS,
    "8h": 480 * _MINUTE_MS,
    "12h": 720 * _MINUTE_MS,
    "1d": 1440 * _MINUTE_MS,
}
DAY_MS: int = TIMEFRAME_MS["1d"]
"""One day, ms."""


@dataclass(frozen=True)
class Timeframe:
    """A supported candle timeframe, e.g. ``Timeframe.parse("1h")``.

    :param name: the exchange's interval name ("1m", "1h", "1d", ...).
    :param ms: candle length in milliseconds.
    """

    name: str
    ms: int

    @classmethod
    def parse(cls, name: str) -> Timeframe:
        """The timeframe called ``name``; raises :class:`UnknownTimeframeError` naming the supported ones."""
        try:
            return cls(name, TIMEFRAME_MS[name])
        except KeyError:
            supported = ", ".join(TIMEFRAME_MS)
            raise UnknownTimeframeError(f"unknown timeframe {name!r}; supported: {supported}") from None

    def floor(self, ts_ms: int) -> int:
        """Open time (ms UTC) of the candle containing ``ts_ms``."""
        return ts_ms - ts_ms % self.ms

    def ceil(self, ts_ms: int) -> int:
        """First grid point (ms UTC) at or after ``ts_ms``."""
        return -((-ts_ms) // self.ms) * self.ms

    def last_closed_open_ms(self, now_ms: int) -> int:
        """Open time (ms UTC) of the last candle fully closed at ``now_ms`` (its close time <= now)."""
        return self.floor(now_ms) - self.ms

    def __str__(self) -> str:
        return self.name

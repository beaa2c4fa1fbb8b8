"""Emulator benchmark: how fast the simulated market generates candles and the emulator serves a page.

Prints seconds and ratios to the targets (speed targets live here, not in the unit tests, which a
loaded machine would make flaky):

- generating 3 years of 1h candles of a fresh series. Target: < 1 s;
- generating 1 year of 1m candles after 6 years of 1m from 2019 (the walk to the seventh year included).
  Target: < 5 s;
- one 1000-row ``/api/v3/klines`` response from a running emulator, median of 20 after a warm-up request
  (the chunk is generated once). Target: < 50 ms.

Usage: ``.venv/bin/python bench/emulator.py``.
"""

from __future__ import annotations

import json
import statistics
import time
import urllib.request

from huracan.market.emulator import Emulator, SimulatedSeries
from huracan.timeframes import Timeframe

START_MS = 1_546_300_800_000  # 2019-01-01T00:00Z
T0 = 1_640_995_200_000  # 2022-01-01T00:00Z
YEAR_DAYS = 365
TARGET_1H_S = 1.0
TARGET_1M_S = 5.0
TARGET_PAGE_MS = 50.0
REQUESTS = 20


def verdict(value: float, target: float) -> str:
    return f"target < {target:g}: {'met' if value < target else 'MISSED'} ({value / target:.2f} of it)"


def main() -> None:
    started = time.perf_counter()
    SimulatedSeries(1, "BTC/USDT", Timeframe.parse("1h"), START_MS).columns(0, 3 * YEAR_DAYS * 24)
    hourly_s = time.perf_counter() - started

    year = YEAR_DAYS * 24 * 60
    started = time.perf_counter()
    closes = SimulatedSeries(1, "BTC/USDT", Timeframe.parse("1m"), START_MS).columns(6 * year, 7 * year)["close"]
    minute_s = time.perf_counter() - started
    if len(closes) != year:
        raise SystemExit(f"expected {year} 1m candles, got {len(closes)}")

    clock_ms = T0 + 2000 * 3_600_000
    with Emulator(seed=1, symbols=("BTC/USDT",), clock_ms=clock_ms) as emulator:
        url = f"{emulator.url}/api/v3/klines?symbol=BTCUSDT&interval=1h&limit=1000&startTime={T0}"
        with urllib.request.urlopen(url) as response:  # warm-up: generates the chunk
            rows = len(json.loads(response.read()))
        if rows != 1000:
            raise SystemExit(f"expected a 1000-row page, got {rows}")
        times_ms = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            with urllib.request.urlopen(url) as response:
                response.read()
            times_ms.append((time.perf_counter() - started) * 1000)
    page_ms = statistics.median(times_ms)

    print("simulated market and emulator")
    print(f"  3 years of 1h candles, generated:            {hourly_s:7.3f} s   {verdict(hourly_s, TARGET_1H_S)}")
    print(f"  1 year of 1m candles after 6 years of 1m:    {minute_s:7.3f} s   {verdict(minute_s, TARGET_1M_S)}")
    print(f"  1000-row klines response (median of {REQUESTS}):   {page_ms:7.1f} ms  {verdict(page_ms, TARGET_PAGE_MS)}")


if __name__ == "__main__":
    main()

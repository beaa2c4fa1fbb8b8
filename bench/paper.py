"""Paper-broker benchmark: candle-by-candle ticks (settle, then decide) against the backtester on the same path.

A level path that changes every 4 candles is replayed over 2,000 simulated 1h candles twice: by the
backtester (:func:`huracan.trading.backtest.replay_levels`, in memory) and by the paper broker, as the
live tick drives it (every candle: settle the working orders, mark; on a new level: a risk-checked
order), with its state in SQLite and in PostgreSQL (one transaction per call). Prints ticks/s, fills/s
and risk checks/s per store, the backtester's candles/s measured in the same run, and whether the paper
equity equals the backtest's bit for bit. Target (issue 12): paper ticks >= 1,000/s.

PostgreSQL: ``HURACAN_BENCH_PG_URL`` (default the local server, database ``huracan_bench``).
Usage: ``make bench-paper`` or ``.venv/bin/python bench/paper.py``.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from huracan.data.db import dispose_engines
from huracan.execution.paper import Bar, PaperAccountConfig, PaperBroker
from huracan.execution.store import ExecutionStore
from huracan.features.catalog import WARMUP_ROWS
from huracan.features.observation import EXPOSURE_LEVELS
from huracan.live.replay import REPLAY_LIMITS
from huracan.market.emulator.simulated import SimulatedSeries
from huracan.risk import RiskManager, RiskStore
from huracan.timeframes import Timeframe
from huracan.trading.backtest import replay_levels
from huracan.trading.config import EnvConfig
from huracan.trading.execution_policy import ExecutionKind, ExecutionPolicy, Fallback
from huracan.trading.market_data import MarketData

TICKS = 2_000
HOLD = 4
TARGET_TICKS_S = 1_000
PG_URL = os.environ.get("HURACAN_BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/huracan_bench")
HOUR = Timeframe.parse("1h")
SYMBOL = "BTC/USDT"


def market() -> MarketData:
    n = WARMUP_ROWS + TICKS + 2
    series = SimulatedSeries(5, SYMBOL, HOUR, 1_672_531_200_000)
    columns = series.columns(0, n)
    index = pd.to_datetime(series.origin_ms + np.arange(n) * HOUR.ms, unit="ms", utc=True).rename("open_time")
    frame = pd.DataFrame({c: columns[c] for c in ("open", "high", "low", "close", "volume")}, index=index)
    return MarketData.from_candles(frame, HOUR)


def fresh_pg() -> str:
    url = make_url(PG_URL)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}"'))
        connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    return PG_URL


def run_paper(
    url: str, data: MarketData, levels: np.ndarray, policy: ExecutionPolicy
) -> tuple[float, int, int, list[float]]:
    """Seconds, fills, risk checks and the equity after each tick."""
    config = PaperAccountConfig(starting_equity_quote=10_000.0, allocation_quote=10_000.0)
    paper = PaperBroker(
        ExecutionStore.open(url),
        RiskManager(REPLAY_LIMITS, RiskStore.open(url)),
        EnvConfig().costs,
        policy,
        config=config,
    )
    assert data.open_time_ms is not None and data.high_quote is not None and data.low_quote is not None
    o, h, lo, c, v = (
        a.tolist() for a in (data.open_quote, data.high_quote, data.low_quote, data.close_quote, data.volume_base)
    )
    times = data.open_time_ms.tolist()
    equity: list[float] = []
    fills = checks = 0
    level = 0
    started = time.perf_counter()
    for i in range(len(levels) + 1):
        row = WARMUP_ROWS + i
        close_ms = times[row] + HOUR.ms
        if i > 0:
            fills += len(
                paper.settle(SYMBOL, Bar(times[row], o[row], h[row], lo[row], c[row], v[row]), v[row - 1], close_ms)
            )
        if i < len(levels) and levels[i] != level:
            level = int(levels[i])
            checks += (
                paper.decide(SYMBOL, EXPOSURE_LEVELS[level], c[row], close_ms, close_ms, "model:bench/1").decision
                is not None
            )
    seconds = time.perf_counter() - started
    with paper.store.transaction() as connection:
        for book in paper.store.books(connection):
            equity.append(book.equity_quote())
    return seconds, fills, checks, equity


def main() -> None:
    data = market()
    rng = np.random.default_rng(0)
    levels = np.repeat(rng.integers(0, 6, size=TICKS // HOLD + 1), HOLD)[:TICKS]
    for policy in (ExecutionPolicy(), ExecutionPolicy(ExecutionKind.MAKER_FIRST, 2, Fallback.TAKE)):
        started = time.perf_counter()
        expected = replay_levels(data, levels, WARMUP_ROWS, EnvConfig(initial_equity_quote=10_000.0), policy=policy)
        backtest_s = time.perf_counter() - started
        print(f"{policy.describe()}: {TICKS:,} ticks of 1h, a new level every {HOLD} candles")
        print(f"  backtester: {TICKS / backtest_s:,.0f} candles/s ({backtest_s * 1e3:.1f} ms)")
        with tempfile.TemporaryDirectory() as folder:
            for name, url in (("sqlite", f"sqlite:///{Path(folder) / 'paper.db'}"), ("postgresql", fresh_pg())):
                seconds, fills, checks, equity = run_paper(url, data, levels, policy)
                dispose_engines()
                rate = TICKS / seconds
                same = equity == [float(expected.equity_quote[-1])]
                print(
                    f"  paper on {name:<10}: {rate:,.0f} ticks/s (target >= {TARGET_TICKS_S:,}: "
                    f"{'OK' if rate >= TARGET_TICKS_S else 'MISSED'}), {fills / seconds:,.0f} fills/s, "
                    f"{checks / seconds:,.0f} risk checks/s; backtester / paper time {seconds / backtest_s:,.0f}x; "
                    f"final equity equal to the backtest's bit for bit: {same}"
                )


if __name__ == "__main__":
    main()

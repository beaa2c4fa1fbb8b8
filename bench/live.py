"""Live benchmark: one tick's decision latency without exchange I/O, and ``paper-run``'s ticks per second.

On simulated 1h candles with a PPO policy of the default architecture (untrained: the forward pass costs
the same), the store in SQLite:

- **decision latency**: what a live tick does after its sync and validation, per candle: the 77 market
  features built on just the lookback's candles, then :func:`huracan.live.step.step` (settle, risk
  observe, observation, policy forward pass, risk check and order when the level changes, record), the
  policy already loaded (cached by version). Median and 95th percentile over the ticks. Target < 50 ms.
- **paper-run speed**: :func:`huracan.live.replay.replay_ticks` over the window, in ticks per second,
  beside the backtester (batched action table + replay) on the same rows. Target >= 1,000 ticks/s.

Measured on the 2-core development machine shared with other work, quiet (load 0.3-0.7), before and
after alternately in the same minutes:

=====================================  ==========================  =====================================
                                       before (bba65e7)            after (one unit of work per 200 ticks)
=====================================  ==========================  =====================================
paper-run, ticks/s                     114-137                     1,250-1,310 (as many per CPU second)
paper-run / backtester time            268-354x                    29-34x
backtester, candles/s (same run)       33,000-40,000               36,000-42,000
decision latency median / p95          16.8-18.3 ms / 27-28 ms     12.8-13.4 ms / 16-17 ms
=====================================  ==========================  =====================================

Before, a tick ran ~19 statements in 14 transactions, read the account 3 and the book 4 times and spent
0.8 ms in ``policy.predict``'s overhead. After, the replay's ticks share one transaction per batch
(:data:`huracan.live.replay.TICKS_PER_COMMIT`) in which the account, books, open orders, risk state and
recorded decisions are read once and the book's and risk state's updates written once; what must be
written once (decision, risk decision, order, fill) is one ``INSERT ... ON CONFLICT DO NOTHING``; and
the step decides with :func:`huracan.rl.batch_policy.policy_action`. About 2.6 statements per tick are
left (the records themselves); the rest is the policy's forward pass (~0.15 ms) and Python. On a
loaded machine the same code ran 890 ticks/s at load 1.4 and 280 (850 per CPU second) at load 7.

Usage: ``make bench-live`` or ``.venv/bin/python bench/live.py``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from stable_baselines3 import PPO

from huracan.execution.paper import PaperAccountConfig, PaperBroker
from huracan.execution.store import ExecutionStore
from huracan.features.catalog import LOOKBACK_ROWS, WARMUP_ROWS
from huracan.features.market import build_market_features
from huracan.live.decisions import DecisionStore
from huracan.live.replay import REPLAY_LIMITS, bar_at, replay_ticks
from huracan.live.step import Model, step
from huracan.market.emulator.frames import simulated_candles
from huracan.risk import RiskManager, RiskStore
from huracan.rl.batch_policy import policy_action_table
from huracan.rl.train import configure_torch
from huracan.timeframes import Timeframe
from huracan.trading.backtest import replay
from huracan.trading.config import EnvConfig
from huracan.trading.execution_policy import ExecutionPolicy
from huracan.trading.market_data import MarketData
from huracan.trading.vec_env import TradingVecEnv

HOUR = Timeframe.parse("1h")
TICKS = 1_000
LATENCY_TICKS = 200
TARGET_LATENCY_MS = 50.0
TARGET_TICKS_S = 1_000
SYMBOL = "BTC/USDT"


def broker(url: str, account: str) -> PaperBroker:
    config = PaperAccountConfig(10_000.0, 10_000.0)
    risk = RiskManager(REPLAY_LIMITS, RiskStore.open(url))
    return PaperBroker(ExecutionStore.open(url), risk, EnvConfig().costs, ExecutionPolicy(), account, config)


def main() -> None:
    configure_torch()
    frame = simulated_candles(WARMUP_ROWS + TICKS + 2, seed=5, timeframe=HOUR)
    data = MarketData.from_candles(frame, HOUR)
    ppo = PPO("MlpPolicy", TradingVecEnv(data, 1, EnvConfig(episode_length=None)), seed=0, device="cpu")
    model = Model("champion", "bench", "1", "models:/bench/1", ppo)
    start, end = WARMUP_ROWS, WARMUP_ROWS + TICKS
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'live.db'}"
        decisions = DecisionStore.open(url)
        live = broker(url, "paper")
        latencies = []
        for row in range(start, start + LATENCY_TICKS):
            began = time.perf_counter()
            market_row = build_market_features(frame.iloc[row - LOOKBACK_ROWS + 1 : row + 1], HOUR)[-1]
            close_ms = int(data.open_time_ms[row]) + HOUR.ms  # type: ignore[index]
            step(
                live,
                decisions,
                model,
                SYMBOL,
                "1h",
                market_row,
                bar_at(data, row),
                float(data.volume_base[row - 1]),
                close_ms,
            )
            latencies.append((time.perf_counter() - began) * 1e3)
        median, p95 = statistics.median(latencies), float(np.percentile(latencies, 95))
        print(f"decision latency of one tick (no exchange I/O, policy cached), {LATENCY_TICKS} ticks on SQLite:")
        print(f"  median {median:.1f} ms, p95 {p95:.1f} ms (target median < {TARGET_LATENCY_MS:.0f} ms: "
              f"{'OK' if median < TARGET_LATENCY_MS else 'MISSED'})")  # fmt: skip

        began = time.perf_counter()
        table = policy_action_table(ppo, data.features, start, end)
        expected = replay(data, table, start, end, EnvConfig())
        backtest_s = time.perf_counter() - began
        began, cpu = time.perf_counter(), time.process_time()
        equity, _ = replay_ticks(broker(url, "replay:bench"), decisions, model, SYMBOL, HOUR, data, start, end)
        paper_s, paper_cpu_s = time.perf_counter() - began, time.process_time() - cpu
        rate = TICKS / paper_s
        print(f"paper-run over {TICKS:,} 1h candles ({expected.n_orders} orders):")
        print(
            f"  paper-run {rate:,.0f} ticks/s (target >= {TARGET_TICKS_S:,}: {'OK' if rate >= TARGET_TICKS_S else 'MISSED'})"
        )
        print(f"  paper-run {TICKS / paper_cpu_s:,.0f} ticks per second of this process's CPU time (a shared machine)")
        print(
            f"  backtester {TICKS / backtest_s:,.0f} candles/s; paper-run / backtester time {paper_s / backtest_s:,.0f}x"
        )
        print(f"  final equity equal to the backtest's bit for bit: {equity[-1] == float(expected.equity_quote[-1])}")


if __name__ == "__main__":
    main()

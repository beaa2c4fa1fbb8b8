"""The trade memory's benchmarks. Prints the numbers.

1. kNN lookup latency: 100,000 synthetic past trades (80-feature entry observations, independent
   normals: the hardest case for a search), k = 10, one lookup per new entry (target < 5 ms per entry),
   beside the machine's floor measured in the same run: one float32 matrix-vector product over the
   standardised memory and a partial sort, the arithmetic an exact search cannot avoid. Also the cost
   per entry of a batch of entries.
2. The similar-trades gate's walk-forward effect (:func:`huracan.memory.gate_eval.walk_forward_gate`) on
   the shared pairs (``../shared/data``: BTC and six altcoins, 1d and 4h): the round trips of rule
   strategies replayed over each whole series with the one cost model (SMA crossover 20/50 and 5/20,
   and one random agent seed, what an untrained policy does), each entry judged by the 10 trades that
   had closed before it opened; out-of-sample Sharpe and return without and with the gate.

    nice -n 19 python bench/memory.py [--latency-only] [--data DIR] [--k K]

``--data``: the folder of the shared candle files (default ``../shared/data`` beside the repository).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from huracan.memory.analysis import FEATURE_NAMES
from huracan.memory.backtest_trips import backtest_round_trips
from huracan.memory.gate_eval import walk_forward_gate
from huracan.memory.similar import TradeNeighbours
from huracan.trading.backtest import BacktestResult, replay_levels
from huracan.trading.baselines import sma_crossover_levels
from huracan.trading.config import EnvConfig
from huracan.trading.market_data import MarketData

N_TRADES, N_QUERIES, K = 100_000, 200, 10
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PAIRS = ("BTC", "BCH", "ETC", "ATOM", "UNI", "MATIC", "XMR")
TIMEFRAMES = ("1d", "4h")


def bench_latency() -> None:
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(N_TRADES, len(FEATURE_NAMES))).astype(np.float32)
    profit = rng.normal(0.0, 0.01, size=N_TRADES)
    started = time.perf_counter()
    index = TradeNeighbours(obs, profit, k=K)
    fit_s = time.perf_counter() - started
    queries = rng.normal(size=(N_QUERIES, len(FEATURE_NAMES))).astype(np.float32)
    index.query(queries[0])  # warm-up
    lookup, floor, lookup_cpu, floor_cpu = [], [], [], []
    for row in queries:  # interleaved, so both see the same load on the machine
        t, c = time.perf_counter(), time.process_time()
        index.query(row)
        lookup.append(time.perf_counter() - t)
        lookup_cpu.append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        np.argpartition(index.points @ ((row - index.mean) / index.scale), K)
        floor.append(time.perf_counter() - t)
        floor_cpu.append(time.process_time() - c)
    t = time.perf_counter()
    index.query(queries)
    batched_ms = (time.perf_counter() - t) / N_QUERIES * 1000
    ms, floor_ms = np.median(lookup) * 1000, np.median(floor) * 1000
    print(f"kNN: trades {N_TRADES:,}, features {len(FEATURE_NAMES)}, k {K}: index built in {fit_s:.2f} s")
    print(
        f"  lookup per entry: median {ms:.2f} ms wall, p95 {np.percentile(lookup, 95) * 1000:.2f} ms, "
        f"CPU {np.mean(lookup_cpu) * 1000:.2f} ms (target < 5 ms)"
    )
    print(
        f"  matrix-vector floor: median {floor_ms:.2f} ms wall, CPU {np.mean(floor_cpu) * 1000:.2f} ms "
        f"(lookup / floor = {ms / floor_ms:.2f})"
    )
    print(f"  a batch of {N_QUERIES} entries: {batched_ms:.2f} ms wall per entry")
    print("  (on a loaded machine the wall times wait for a core; the CPU times are the work itself)")


def load(path: Path) -> MarketData:
    raw = pd.read_csv(path)
    index = pd.DatetimeIndex(pd.to_datetime(raw.pop("timestamp"), unit="ms", utc=True), name="open_time")
    return MarketData.from_candles(raw[["open", "high", "low", "close", "volume"]].astype("float64").set_axis(index))


def strategies(data: MarketData) -> dict[str, BacktestResult]:
    """The rule strategies' replays over the whole series (start flat, costs on)."""
    start, end = data.first_row, data.n_rows - 1
    config = EnvConfig()
    random_levels = np.random.default_rng(0).integers(0, 6, size=end - start, dtype=np.int64)
    return {
        "sma 20/50": replay_levels(data, sma_crossover_levels(data.close_quote, start, end), start, config),
        "sma 5/20": replay_levels(data, sma_crossover_levels(data.close_quote, start, end, 5, 20), start, config),
        "random": replay_levels(data, random_levels, start, config),
    }


def bench_gate(folder: Path, k: int = K) -> None:
    if not folder.is_dir():
        print(f"gate: skipped, {folder} not found (--data DIR)")
        return
    print(f"\ngate walk-forward (k {k}, skip when the neighbours' mean profit < 0; Sharpe over round trips)")
    header = f"{'pair':<12}{'strategy':<11}{'trades':>7}{'skipped':>8}  {'Sharpe off':>10}{'on':>7}  {'return off':>11}{'on':>9}"
    print(header)
    deltas: dict[str, list[float]] = {}
    for pair in PAIRS:
        for timeframe in TIMEFRAMES:
            path = folder / f"binance_{pair}-USDT_{timeframe}.csv"
            if not path.exists():
                continue
            data = load(path)
            for name, result in strategies(data).items():
                trips = backtest_round_trips(result, data, f"{pair}/USDT")
                measured = walk_forward_gate(trips, k=k)
                off, on = measured.metrics(gated=False), measured.metrics(gated=True)
                deltas.setdefault(name, []).append(on["sharpe"] - off["sharpe"])
                print(
                    f"{pair + ' ' + timeframe:<12}{name:<11}{len(trips):>7}{measured.skipped:>8}  "
                    f"{off['sharpe']:>10.2f}{on['sharpe']:>7.2f}  {off['total_return']:>+11.1%}{on['total_return']:>+9.1%}"
                )
    every = [d for changes in deltas.values() for d in changes]
    for name, changes in [*deltas.items(), ("all", every)]:
        print(
            f"{name}: the gate improves Sharpe on {sum(d > 0 for d in changes)} of {len(changes)} series; "
            f"Sharpe change mean {np.mean(changes):+.2f}, median {np.median(changes):+.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="Trade memory benchmarks: kNN latency, the gate's effect.")
    parser.add_argument("--latency-only", action="store_true", help="Only the kNN lookup latency.")
    parser.add_argument("--data", type=Path, default=DATA, help="Folder of the shared candle CSV files.")
    parser.add_argument("--k", type=int, default=K, help=f"Neighbours the gate looks at (default {K}).")
    args = parser.parse_args()
    bench_latency()
    if not args.latency_only:
        bench_gate(args.data, args.k)


if __name__ == "__main__":
    main()

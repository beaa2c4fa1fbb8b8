"""kNN lookup latency of the trade memory: 100,000 synthetic past trades (80-feature entry observations),
one query per entry, k = 10 (target < 5 ms per entry). Prints the numbers.

    python bench/memory.py
"""

from __future__ import annotations

import time

import numpy as np

from huracan.memory.analysis import FEATURE_NAMES
from huracan.memory.similar import TradeNeighbours

N_TRADES, N_QUERIES, K = 100_000, 200, 10


def main() -> None:
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(N_TRADES, len(FEATURE_NAMES))).astype(np.float32)
    profit = rng.normal(0.0, 0.01, size=N_TRADES)
    started = time.perf_counter()
    index = TradeNeighbours(obs, profit, k=K)
    fit_s = time.perf_counter() - started
    queries = rng.normal(size=(N_QUERIES, len(FEATURE_NAMES))).astype(np.float32)
    index.query(queries[0])  # warm-up
    times = []
    for row in queries:
        t = time.perf_counter()
        index.query(row)
        times.append(time.perf_counter() - t)
    ms = np.array(times) * 1000
    scaled = (obs - index.mean) / index.scale
    floor = []
    for row in queries:  # the arithmetic alone (one float32 matrix-vector product): the machine's floor
        t = time.perf_counter()
        np.argpartition(scaled @ ((row - index.mean) / index.scale), K)
        floor.append(time.perf_counter() - t)
    print(f"trades {N_TRADES:,}, features {len(FEATURE_NAMES)}, k {K}: index built in {fit_s:.2f} s")
    print(f"lookup per entry: median {np.median(ms):.2f} ms, p95 {np.percentile(ms, 95):.2f} ms (target < 5 ms)")
    print(f"matrix-vector floor on this machine: median {np.median(floor) * 1000:.2f} ms")


if __name__ == "__main__":
    main()

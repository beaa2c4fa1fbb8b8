"""Benchmark of the observation builder and the trading envs, with gym-anytrading measured in the same run.

Run: ``.venv/bin/python bench/env.py`` (after ``pip install -e ".[bench]"`` for the reference env).

Data: ``../shared/data/binance_BTC-USDT_1h.csv`` (relative to the repository) when present, else a
simulated random walk. The feature build is timed on 100,000 candles: the real ones, continued by a
simulated walk from the last close when the file holds fewer. Step rates use random actions drawn in
advance (the same way for every env), on the raw env classes (no gymnasium.make wrappers), resetting when
an episode ends; each rate is the best of several repeats, since other processes share the machine.

Targets: features for 100,000 candles < 1 s; TradingEnv.step >= gym-anytrading's StocksEnv (window 30);
the vectorised env >= 2,000,000 env-steps/s at N=64.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from huracan.features.market import build_market_features
from huracan.features.synthetic import random_walk_candles
from huracan.trading.config import EnvConfig
from huracan.trading.env import TradingEnv
from huracan.trading.market_data import MarketData

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "binance_BTC-USDT_1h.csv"
FEATURE_ROWS = 100_000
SINGLE_STEPS = 100_000
VEC_ENVS = 64
VEC_STEPS = 3_000
REPEATS = 5
TARGET_FEATURES_S = 1.0
TARGET_VEC_STEPS_S = 2_000_000


def load_candles() -> tuple[pd.DataFrame, str]:
    """The real 1h candles if present (as a candle frame), else a simulated series."""
    if not DATA.exists():
        return random_walk_candles(60_000, seed=0), f"simulated 1h random walk ({DATA} not found)"
    raw = pd.read_csv(DATA)
    index = pd.DatetimeIndex(pd.to_datetime(raw.pop("timestamp"), unit="ms", utc=True), name="open_time")
    frame = raw[["open", "high", "low", "close", "volume"]].astype("float64").set_axis(index)
    return frame, f"{DATA.name} ({len(frame):,} candles)"


def extend_to(frame: pd.DataFrame, n_rows: int) -> pd.DataFrame:
    """``frame`` continued by a simulated 1h walk from its last close up to ``n_rows`` candles."""
    if len(frame) >= n_rows:
        return frame.iloc[:n_rows]
    last_ms = int(frame.index[-1].value // 1_000_000)
    tail = random_walk_candles(
        n_rows - len(frame), seed=1, start_ms=last_ms + 3_600_000, start_price_quote=float(frame.close.iloc[-1])
    )
    return pd.concat([frame, tail])


def best_rate(run: Callable[[], int], repeats: int = REPEATS) -> float:
    """Most steps per second over ``repeats`` runs of ``run`` (which returns its step count)."""
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        steps = run()
        best = max(best, steps / (time.perf_counter() - start))
    return best


def bench_features(frame: pd.DataFrame) -> float:
    build_market_features(frame.iloc[:1_000], "1h")  # warm caches and imports
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        build_market_features(frame, "1h")
        best = min(best, time.perf_counter() - start)
    return best


def bench_trading_env(data: MarketData, actions: list[int]) -> float:
    env = TradingEnv(data, EnvConfig())
    env.reset(seed=0)

    def run() -> int:
        step = env.step
        for action in actions:
            _, _, terminated, truncated, _ = step(action)
            if terminated or truncated:
                env.reset()
        return len(actions)

    return best_rate(run)


def bench_vec_env(data: MarketData) -> float:
    from huracan.trading.vec_env import TradingVecEnv

    vec = TradingVecEnv(data, VEC_ENVS, EnvConfig())
    vec.seed(0)
    vec.reset()
    actions = list(np.random.default_rng(1).integers(0, 6, (VEC_STEPS, VEC_ENVS)))

    def run() -> int:
        for batch in actions:
            vec.step_async(batch)
            vec.step_wait()
        return VEC_STEPS * VEC_ENVS

    return best_rate(run)


def bench_anytrading(frame: pd.DataFrame, actions: list[int]) -> float | None:
    try:
        from gym_anytrading.envs import StocksEnv
    except ImportError:
        return None
    df = frame.rename(columns={"open": "Open", "high": "High", "low": "Low", "close": "Close", "volume": "Volume"})
    env = StocksEnv(df=df.reset_index(drop=True), window_size=30, frame_bound=(30, len(df)))
    env.reset(seed=0)
    binary = [a % 2 for a in actions]

    def run() -> int:
        step = env.step
        for action in binary:
            _, _, terminated, truncated, _ = step(action)
            if terminated or truncated:
                env.reset()
        return len(binary)

    return best_rate(run)


def main() -> None:
    logging.getLogger("huracan.features.market").setLevel(logging.ERROR)  # the real file has a few gaps
    frame, source = load_candles()
    print(f"data: {source}; {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}")

    long_frame = extend_to(frame, FEATURE_ROWS)
    features_s = bench_features(long_frame)
    data = MarketData.from_candles(frame, "1h")
    actions = np.random.default_rng(0).integers(0, 6, SINGLE_STEPS).tolist()
    env_rate = bench_trading_env(data, actions)
    vec_rate = bench_vec_env(data)
    reference = bench_anytrading(frame, actions)

    real = min(len(frame), FEATURE_ROWS)
    rows = [
        (
            "feature build, 100,000 candles",
            f"{features_s:.3f} s",
            f"< {TARGET_FEATURES_S:g} s",
            features_s < TARGET_FEATURES_S,
            f"({real:,} real + {FEATURE_ROWS - real:,} simulated)" if real < FEATURE_ROWS else "",
        ),
        (
            "TradingEnv.step, random actions",
            f"{env_rate:,.0f} steps/s",
            ">= gym-anytrading",
            None if reference is None else env_rate >= reference,
            "",
        ),
        (
            f"TradingVecEnv, N={VEC_ENVS}",
            f"{vec_rate:,.0f} env-steps/s",
            f">= {TARGET_VEC_STEPS_S:,}",
            vec_rate >= TARGET_VEC_STEPS_S,
            f"({vec_rate / VEC_ENVS:,.0f} vec-steps/s)",
        ),
    ]
    if reference is None:
        rows.append(("gym-anytrading StocksEnv (window 30)", "not installed", 'pip install -e ".[bench]"', None, ""))
    else:
        rows.append(("gym-anytrading StocksEnv (window 30)", f"{reference:,.0f} steps/s", "reference", None, ""))
    width = max(len(r[0]) for r in rows)
    for name, value, target, ok, note in rows:
        mark = "" if ok is None else ("  OK" if ok else "  MISSED")
        print(f"{name:<{width}}  {value:>22}  target {target}{mark} {note}".rstrip())
    if reference is not None:
        print(f"ratio TradingEnv.step / StocksEnv.step: {env_rate / reference:.2f}x")
        print(f"ratio TradingVecEnv (N={VEC_ENVS}) / StocksEnv.step: {vec_rate / reference:.1f}x")


if __name__ == "__main__":
    main()

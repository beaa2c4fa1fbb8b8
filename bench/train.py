"""Training benchmark: PPO timesteps/s and validation score, Huracan's defaults against SB3's.

Run: ``.venv/bin/python bench/train.py [--timesteps N] [--seeds K]`` (defaults 100,000 and 3; about
4 minutes on 2 cores, nearly all of it in the SB3-defaults reference).

Both runs train on the same candles, the same walk-forward train window and the same env (episodes of
256 decisions from random starts, costs on), one torch thread, with the same validation callback
(every 5 rollouts of 2,048 steps, best checkpoint kept by validation Sharpe), for the same number of
timesteps and seeds:

- **ours**: :class:`huracan.rl.train.TrainConfig` defaults: the numpy-vectorised env with 16 copies,
  rollouts of 16 x 128, minibatches of 512, 4 epochs, entropy bonus 0.01 (:func:`huracan.rl.train.fit`);
- **SB3 defaults**: ``PPO("MlpPolicy", DummyVecEnv([TradingEnv]))`` with every argument at its default
  (one env, n_steps 2048, batch 64, 10 epochs).

Timesteps/s counts the whole ``learn`` call, validation included. The validation score is the median
over seeds of the best validation Sharpe. Targets: ours >= 3x SB3's timesteps/s at an equal or better
validation score.

Data: ``../shared/data/binance_BTC-USDT_1d.csv`` when present, else 2,880 simulated BTC/USDT 1d
candles (the emulator's market, seed 42).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pandas as pd
import torch

from huracan.market.emulator.frames import simulated_candles
from huracan.rl.callbacks import ValidationCallback
from huracan.rl.split import WalkForwardSplit, walk_forward_split
from huracan.rl.train import (
    TrainConfig,
    configure_torch,
    fit,
    train_window_data,
    training_env_config,
    validation_scorer,
)
from huracan.timeframes import Timeframe
from huracan.trading.baselines import buy_and_hold
from huracan.trading.config import EnvConfig
from huracan.trading.market_data import MarketData

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "binance_BTC-USDT_1d.csv"
DAY = Timeframe.parse("1d")
TARGET_RATIO = 3.0


def load_candles() -> tuple[pd.DataFrame, str]:
    if DATA.exists():
        raw = pd.read_csv(DATA)
        index = pd.DatetimeIndex(pd.to_datetime(raw.pop("timestamp"), unit="ms", utc=True), name="open_time")
        frame = raw[["open", "high", "low", "close", "volume"]].astype("float64").set_axis(index)
        return frame, f"{DATA.name} ({len(frame):,} candles)"
    n = 2_880
    return simulated_candles(
        n, 42, "BTC/USDT", DAY, 1_546_300_800_000
    ), f"simulated BTC/USDT 1d, {n:,} candles ({DATA} not found)"


def run_ours(data: MarketData, split: WalkForwardSplit, timesteps: int, seed: int) -> tuple[float, float]:
    train_config = TrainConfig(timesteps=timesteps)
    start = time.perf_counter()
    _, callback = fit(data, split, seed, train_config)
    return timesteps / (time.perf_counter() - start), callback.best_score


def run_sb3_defaults(data: MarketData, split: WalkForwardSplit, timesteps: int, seed: int) -> tuple[float, float]:
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor

    from huracan.trading.env import TradingEnv

    configure_torch()
    env_config = training_env_config(EnvConfig(), TrainConfig())  # the same episodes as ours
    train_data = train_window_data(data, split)
    env = VecMonitor(DummyVecEnv([lambda: TradingEnv(train_data, env_config)]))
    model = PPO("MlpPolicy", env, seed=seed, device="cpu")  # every hyperparameter at SB3's default
    # One rollout is 2,048 steps here as in ours (16 x 128): the same validation cadence.
    callback = ValidationCallback(validation_scorer(data, split.validation, env_config), "sharpe", 5)
    start = time.perf_counter()
    model.learn(total_timesteps=timesteps, callback=callback)
    return timesteps / (time.perf_counter() - start), callback.best_score


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timesteps", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    frame, source = load_candles()
    data = MarketData.from_candles(frame, DAY)
    split = walk_forward_split(data)
    print(
        f"data: {source}; train {split.train.n_decisions:,}, validation {split.validation.n_decisions:,} decisions; "
        f"{args.timesteps:,} timesteps x {args.seeds} seeds; torch {torch.__version__}, 1 thread"
    )
    hold = buy_and_hold(data, split.validation.start_row, split.validation.end_row, EnvConfig()).metrics["sharpe"]
    print(f"buy & hold on the validation window: Sharpe {hold:+.3f} (for reference)")
    results: dict[str, list[tuple[float, float]]] = {"ours": [], "sb3 defaults": []}
    for seed in range(args.seeds):
        for name, run in (("ours", run_ours), ("sb3 defaults", run_sb3_defaults)):
            rate, score = run(data, split, args.timesteps, seed)
            results[name].append((rate, score))
            print(f"  seed {seed} {name:<12} {rate:>9,.0f} timesteps/s  validation Sharpe {score:+.3f}", flush=True)
    summary = {
        name: (statistics.median(r for r, _ in rows), statistics.median(s for _, s in rows))
        for name, rows in results.items()
    }
    for name, (rate, score) in summary.items():
        print(f"{name:<12} median {rate:>9,.0f} timesteps/s  median validation Sharpe {score:+.3f}")
    ratio = summary["ours"][0] / summary["sb3 defaults"][0]
    better = summary["ours"][1] >= summary["sb3 defaults"][1]
    verdict = "OK" if ratio >= TARGET_RATIO and better else "MISSED"
    print(
        f"ratio ours / sb3 defaults: {ratio:.1f}x timesteps/s (target >= {TARGET_RATIO:g}x), validation "
        f"{'equal or better' if better else 'worse'}  {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

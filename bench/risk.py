"""Risk-check benchmark: how many order intents per second the risk manager decides.

Prints checks/s for:

- :func:`huracan.risk.evaluate`, the pure check (the state carried from one check to the next), on a
  three-symbol account with a mix of buys and sells that are approved, resized and denied. Target:
  >= 10,000 checks/s;
- the same with the snapshot and the intent built for each check, as a live tick does;
- :meth:`huracan.risk.RiskManager.check`, each check one transaction (lock the account's row, load the
  state, evaluate, write the decision and the state) on a SQLite store in a temporary folder, and on
  PostgreSQL when ``HURACAN_TEST_PG_URL`` is set (a fresh account in that database). Beside it, the
  reference measured in the same run: a transaction inserting one row into a scratch table, the floor of
  any check that records its decision (on PostgreSQL mostly the commit's WAL flush).

Usage: ``.venv/bin/python bench/risk.py``.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, text

from huracan.clock import parse_instant_ms
from huracan.risk import (
    AccountSnapshot,
    OrderIntent,
    PositionMark,
    RiskLimits,
    RiskManager,
    RiskState,
    RiskStore,
    Side,
    evaluate,
)

TARGET_PER_S = 10_000
PURE_CHECKS = 50_000
STORE_CHECKS = 1_000
REPEATS = 5
START_MS = parse_instant_ms("2026-01-05T00:00:00Z")
MINUTE_MS = 60_000
MARKS = {"BTC/USDT": 50_000.0, "ETH/USDT": 3_000.0, "SOL/USDT": 100.0}
HELD = {"BTC/USDT": 0.05, "ETH/USDT": 0.8, "SOL/USDT": 0.0}


def snapshot(account: str, now_ms: int) -> AccountSnapshot:
    positions = {s: PositionMark(HELD[s], MARKS[s], now_ms - MINUTE_MS) for s in MARKS}
    return AccountSnapshot(account, now_ms, 90_000.0, positions)


def intent(account: str, i: int, now_ms: int) -> OrderIntent:
    """A deterministic mix: buys of 1,000 to 9,000 quote (some resized by the limits), sells, prices off
    the last close by up to 6 % (some outside the band)."""
    symbol = ("BTC/USDT", "ETH/USDT", "SOL/USDT")[i % 3]
    side = Side.SELL if i % 4 == 3 else Side.BUY
    price = MARKS[symbol] * (1 + ((i * 7) % 13 - 6) / 100)
    notional = 1_000.0 * (1 + (i * 5) % 9)
    return OrderIntent(account, symbol, side, notional / price, price, now_ms, now_ms - MINUTE_MS, "model:bench/1")


def best_rate(run: Callable[[], None], checks: int) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return checks / min(times)


def one_row_transaction_s(engine: Engine) -> float:
    """Median time of a transaction inserting one row into a scratch table (created and dropped here), s."""
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE bench_risk_reference (x INTEGER)"))
    times = []
    try:
        for i in range(STORE_CHECKS // 4):
            started = time.perf_counter()
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO bench_risk_reference VALUES (:x)"), {"x": i})
            times.append(time.perf_counter() - started)
    finally:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE bench_risk_reference"))
    return statistics.median(times)


def main() -> None:
    limits = RiskLimits()
    now_ms = START_MS
    snap = snapshot("bench", now_ms)
    intents = [intent("bench", i, now_ms) for i in range(PURE_CHECKS)]
    verdicts = Counter(evaluate(x, snap, RiskState("bench"), limits)[0].verdict.value for x in intents)

    def pure() -> None:
        state = RiskState("bench")
        for x in intents:
            _, state = evaluate(x, snap, state, limits)

    def pure_with_inputs() -> None:
        state = RiskState("bench")
        for i in range(PURE_CHECKS):
            at = now_ms + i
            _, state = evaluate(intent("bench", i, at), snapshot("bench", at), state, limits)

    rate = best_rate(pure, PURE_CHECKS)
    print(f"risk checks, {PURE_CHECKS:,} intents ({', '.join(f'{v} {n:,}' for v, n in sorted(verdicts.items()))}):")
    print(
        f"  evaluate:                         {rate:>10,.0f} checks/s  (target >= {TARGET_PER_S:,}: {rate / TARGET_PER_S:.1f}x)"
    )
    rate = best_rate(pure_with_inputs, PURE_CHECKS)
    print(f"  evaluate + snapshot + intent:     {rate:>10,.0f} checks/s  ({rate / TARGET_PER_S:.1f}x the target)")

    urls = {}
    with tempfile.TemporaryDirectory() as folder:
        urls["SQLite"] = f"sqlite:///{Path(folder) / 'bench.db'}"
        if os.environ.get("HURACAN_TEST_PG_URL"):
            urls["PostgreSQL"] = os.environ["HURACAN_TEST_PG_URL"]
        for name, url in urls.items():
            manager = RiskManager(limits, RiskStore.open(url))
            account = f"bench-{uuid.uuid4().hex[:8]}"
            times = []
            for i in range(STORE_CHECKS):
                at = now_ms + i * MINUTE_MS
                started = time.perf_counter()
                manager.check(intent(account, i, at), snapshot(account, at))
                times.append(time.perf_counter() - started)
            floor_s = one_row_transaction_s(manager.store.engine)
            median_s = statistics.median(times)
            print(
                f"  RiskManager.check on {name + ':':<12}  {STORE_CHECKS / sum(times):>8,.0f} checks/s  "
                f"(median {median_s * 1e3:.2f} ms per check, one transaction each; a one-row insert transaction "
                f"{floor_s * 1e3:.2f} ms: {median_s / floor_s:.1f}x)"
            )


if __name__ == "__main__":
    main()

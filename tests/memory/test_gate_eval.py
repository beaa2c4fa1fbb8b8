"""The gate's walk-forward measurement: no trade is judged by a trade that had not closed when it opened,
and on a constructed market where one kind of entry always loses, the gate skips exactly those once the
memory knows them, and the gated sequence earns more."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from huracan.memory.gate_eval import walk_forward_gate
from huracan.memory.round_trips import RoundTrip, TradeMemoryError

HOUR = 3_600_000


def trip(entry_ms: int, exit_ms: int, profit_frac: float, obs: np.ndarray) -> RoundTrip:
    return RoundTrip(
        account="backtest",
        symbol="BTC/USDT",
        timeframe="1h",
        source="backtest",
        entry_ms=entry_ms,
        exit_ms=exit_ms,
        entry_price_quote=100.0,
        exit_price_quote=100.0 * (1 + profit_frac),
        qty_base=1.0,
        fees_quote=0.0,
        profit_quote=100.0 * profit_frac,
        profit_frac=profit_frac,
        holding_ms=exit_ms - entry_ms,
        mae_frac=min(0.0, profit_frac),
        mfe_frac=max(0.0, profit_frac),
        entry_obs=obs.astype(np.float32),
    )


def two_kinds(n: int, seed: int = 0) -> list[RoundTrip]:
    """Alternating entries: kind A (four features near +3) loses 1 %, kind B (near -3) wins 1 %; two more
    features are noise (standardised, noise weighs as much as a signal feature)."""
    rng = np.random.default_rng(seed)
    trips = []
    for i in range(n):
        losing = i % 2 == 0
        obs = rng.normal(0.0, 0.1, size=6)
        obs[:4] += 3.0 if losing else -3.0
        trips.append(trip(i * 10 * HOUR, i * 10 * HOUR + 5 * HOUR, -0.01 if losing else 0.01, obs))
    return trips


def test_the_gate_skips_the_losing_kind_once_the_memory_knows_it() -> None:
    trips = two_kinds(60)
    measured = walk_forward_gate(trips[::-1], k=3, min_past=6)  # any order in: taken by entry time
    assert not measured.judged[:6].any() and measured.judged[6:].all()
    losing = np.arange(60) % 2 == 0
    assert np.array_equal(~measured.taken, losing & measured.judged)  # exactly the judged losers
    without, with_gate = measured.metrics(gated=False), measured.metrics(gated=True)
    assert without["total_return"] == pytest.approx(1.01**30 * 0.99**30 - 1)
    assert with_gate["total_return"] == pytest.approx(1.01**30 * 0.99**3 - 1)
    assert with_gate["sharpe"] > without["sharpe"] and with_gate["trades"] == 33
    summary = measured.as_json()
    assert summary["skipped"] == 27 and summary["skipped_winners"] == 0


def test_no_trade_is_judged_by_one_still_open_when_it_opened() -> None:
    rng = np.random.default_rng(1)
    # overlapping trades (several accounts' worth): each lasts 25 h, a new one opens every 10 h
    trips = [
        trip(i * 10 * HOUR, i * 10 * HOUR + 25 * HOUR, float(rng.normal(0, 0.01)), rng.normal(size=4))
        for i in range(40)
    ]
    measured = walk_forward_gate(trips, k=3)
    for i in range(len(trips)):
        # change the outcome of every trade that had not closed when trade i opened (the later ones and the
        # two still open): trade i's decision must not move
        future = [
            replace(t, profit_frac=-t.profit_frac * 5 - 0.02) if t.exit_ms >= trips[i].entry_ms else t for t in trips
        ]
        assert walk_forward_gate(future, k=3).taken[i] == measured.taken[i], i
    # a trade closing exactly when the next opens is not yet in that one's memory
    touching = [trip(i * HOUR, (i + 1) * HOUR, -0.01, np.zeros(2) + i % 2) for i in range(5)]
    assert walk_forward_gate(touching, k=1).judged.tolist() == [False, False, True, True, True]


def test_every_trade_needs_an_observation_and_min_past_covers_k() -> None:
    trips = two_kinds(4)
    with pytest.raises(TradeMemoryError, match="entry observation"):
        walk_forward_gate([*trips, replace(trips[0], entry_obs=None)])
    with pytest.raises(TradeMemoryError, match="at least k"):
        walk_forward_gate(trips, k=3, min_past=2)
    empty = walk_forward_gate([], k=3)
    assert empty.metrics(gated=True) == {"trades": 0.0, "total_return": 0.0, "sharpe": 0.0}

"""Execution policies: one candle of a working order by hand, and maker_first replays against taker."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huracan.features.catalog import WARMUP_ROWS
from huracan.market.emulator.simulated import SimulatedSeries
from huracan.timeframes import Timeframe
from huracan.trading.backtest import _policy_fills, _taker_fills, replay, replay_levels
from huracan.trading.config import EnvConfig
from huracan.trading.costs import BUY, SELL, CostModel
from huracan.trading.execution_policy import (
    Candle,
    ExecutionPolicy,
    WorkingOrder,
    advance,
    limit_price,
    place,
)
from huracan.trading.market_data import MarketData

COSTS = CostModel(taker_fee_frac=0.001, maker_fee_frac=0.0002, spread_frac=0.002, slippage_coef=0.01)
MAKER = ExecutionPolicy("maker_first", max_reprices=1, fallback="take")
HOUR = Timeframe.parse("1h")


def test_a_buy_rests_at_the_bid_and_fills_only_when_the_next_candle_trades_below_it() -> None:
    order = place(MAKER, COSTS, 10_000.0, 0.0, 0.5, 100.0)
    assert order == WorkingOrder(0.5, BUY, 100.0 * (1 - 0.001), 0)  # the bid: half a 0.2 % spread below
    touching = advance(MAKER, COSTS, order, 10_000.0, 0.0, Candle(100.0, 101.0, 99.9, 100.5, 50.0))
    assert touching.filled is None  # low == limit: orders ahead in the queue fill first
    assert touching.next_order == WorkingOrder(0.5, BUY, 100.5 * 0.999, 1)  # re-priced at the close
    through = advance(MAKER, COSTS, order, 10_000.0, 0.0, Candle(100.0, 101.0, 99.8, 100.5, 50.0))
    # valued at the limit 99.9: 5,000 quote buys 5000/99.9 base, the maker fee 0.02 % of 5,000
    assert through.filled == "maker" and through.next_order is None
    assert through.position_base == pytest.approx(5_000 / 99.9, rel=1e-12)
    assert through.cost_quote == pytest.approx(5_000 * 0.0002, rel=1e-12)
    assert through.cash_quote == pytest.approx(10_000 - 5_000 - 1.0, rel=1e-12)


def test_a_sell_rests_at_the_ask_and_fills_when_the_candle_trades_above_it() -> None:
    order = place(MAKER, COSTS, 0.0, 10.0, 0.0, 100.0)
    assert order is not None and order.side == SELL and order.limit_quote == pytest.approx(100.1)
    filled = advance(MAKER, COSTS, order, 0.0, 10.0, Candle(100.0, 100.2, 99.0, 99.5, 50.0))
    assert filled.filled == "maker" and filled.position_base == 0.0
    assert filled.cash_quote == pytest.approx(10 * 100.1 * (1 - 0.0002), rel=1e-12)


def test_out_of_reprices_the_take_fallback_sends_a_market_order_and_skip_drops_it() -> None:
    quiet = Candle(100.0, 100.05, 99.95, 100.0, 50.0)  # never trades through the bid at 99.9
    second = WorkingOrder(0.5, BUY, 99.9, reprices=1)
    taken = advance(MAKER, COSTS, second, 10_000.0, 0.0, quiet)
    assert taken.filled is None and taken.next_order == WorkingOrder(0.5, BUY, None, 1)
    market = advance(MAKER, COSTS, taken.next_order, 10_000.0, 0.0, Candle(101.0, 102.0, 100.0, 101.0, 40.0))
    expected = COSTS.rebalance(10_000.0, 0.0, 0.5, 101.0, 40.0)  # the open, slippage on the previous volume
    assert market.filled == "taker" and (market.cash_quote, market.position_base, market.cost_quote) == expected
    skip = ExecutionPolicy("maker_first", max_reprices=1, fallback="skip")
    dropped = advance(skip, COSTS, second, 10_000.0, 0.0, quiet)
    assert dropped.skipped and dropped.next_order is None and dropped.position_base == 0.0


def test_on_target_a_maker_decision_sends_nothing_but_taker_is_sized_at_the_fill() -> None:
    assert place(MAKER, COSTS, 10_000.0, 0.0, 0.0, 100.0) is None
    assert place(ExecutionPolicy(), COSTS, 10_000.0, 0.0, 0.5, 100.0) == WorkingOrder(0.5, BUY, None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "iceberg"}, "execution kind must be one of"),
        ({"fallback": "wait"}, "fallback must be one of"),
        ({"max_reprices": -1}, "max_reprices must be an integer >= 0"),
    ],
)
def test_bad_policies_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ExecutionPolicy(**kwargs)


def simulated(n: int, seed: int) -> MarketData:
    series = SimulatedSeries(seed, "BTC/USDT", HOUR, 1_609_459_200_000)
    columns = series.columns(0, n)
    index = pd.to_datetime(series.origin_ms + np.arange(n) * HOUR.ms, unit="ms", utc=True).rename("open_time")
    frame = pd.DataFrame({c: columns[c] for c in ("open", "high", "low", "close", "volume")}, index=index)
    return MarketData.from_candles(frame, HOUR)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), hold=st.integers(1, 12))
def test_the_walk_through_advance_with_the_taker_policy_is_the_fast_path(seed: int, hold: int) -> None:
    data = simulated(WARMUP_ROWS + 400, seed % 5)
    rng = np.random.default_rng(seed)
    levels = np.repeat(rng.integers(0, 6, size=400 // hold + 1), hold)[: data.n_rows - 1 - WARMUP_ROWS]
    config = EnvConfig(costs=COSTS)
    rows = np.arange(WARMUP_ROWS, WARMUP_ROWS + len(levels))
    orders = np.flatnonzero(np.diff(levels, prepend=0) != 0)
    fast = _taker_fills(data, levels, rows, orders, config)
    walked = _policy_fills(data, levels, WARMUP_ROWS, orders, config, ExecutionPolicy())
    for a, b in zip(fast, walked, strict=True):
        np.testing.assert_array_equal(a, b)


def test_maker_first_pays_less_per_fill_and_its_counts_add_up() -> None:
    data = simulated(3_000, 3)
    rng = np.random.default_rng(0)
    table = np.repeat(rng.integers(0, 6, size=(200, 1)), 6, axis=1)
    table = np.repeat(table, 15, axis=0)[: data.n_rows]  # a new target every 15 candles
    start, end = WARMUP_ROWS, data.n_rows - 1
    config = EnvConfig(costs=COSTS)
    taker = replay(data, table, start, end, config)
    for fallback in ("take", "skip"):
        maker = replay(data, table, start, end, config, policy=ExecutionPolicy("maker_first", 2, fallback))
        fills = maker.fills
        assert fills is not None and fills.orders == taker.fills.orders == taker.n_orders
        assert fills.maker_fills > 0
        assert fills.maker_fills + fills.taker_fills + fills.missed <= fills.orders
        assert fills.maker_fees_saved_quote > 0
        fills_count = fills.maker_fills + fills.taker_fills
        assert maker.metrics["costs_quote"] / fills_count < taker.metrics["costs_quote"] / taker.fills.taker_fills
        if fallback == "skip":
            assert fills.taker_fills == 0 and fills.skipped > 0
        else:
            assert fills.skipped == 0
        # the levels (the decisions) are the same: only the execution differs
        np.testing.assert_array_equal(maker.levels, taker.levels)


def test_a_maker_first_replay_by_hand() -> None:
    # Flat candles at 100 except where noted; decision rows start at WARMUP_ROWS.
    n = WARMUP_ROWS + 8
    o = np.full(n, 100.0)
    h, lo, c, v = o + 0.05, o - 0.05, o.copy(), np.full(n, 1_000.0)
    t = WARMUP_ROWS
    lo[t + 2] = 99.0  # the second candle after the decision trades through the re-priced bid
    index = pd.to_datetime(np.arange(n) * HOUR.ms, unit="ms", utc=True).rename("open_time")
    data = MarketData.from_candles(
        pd.DataFrame({"open": o, "high": h, "low": lo, "close": c, "volume": v}, index=index), HOUR
    )
    config = EnvConfig(initial_equity_quote=1_000.0, costs=COSTS)
    levels = np.array([5, 5, 5, 5])  # all in at the first decision, then hold
    result = replay_levels(data, levels, t, config, policy=MAKER)
    bid = 100.0 * 0.999
    qty = 1_000.0 / (bid * 1.0002)  # all the cash, the maker fee included
    assert result.fills is not None and result.fills.maker_fills == 1 and result.fills.taker_fills == 0
    assert result.equity_quote[1] == 1_000.0  # candle t+1 did not trade through: still all cash
    assert result.equity_quote[2] == pytest.approx(qty * 100.0, rel=1e-12)  # filled in candle t+2, marked at its close
    assert result.costs_quote.tolist() == pytest.approx([0.0, qty * bid * 0.0002, 0.0, 0.0], rel=1e-12)
    taker_cost = COSTS.fill(BUY, qty, bid, 1_000.0).cost_quote
    assert result.fills.maker_fees_saved_quote == pytest.approx(taker_cost - qty * bid * 0.0002, rel=1e-12)
    assert math.isclose(result.metrics["costs_quote"], qty * bid * 0.0002, rel_tol=1e-12)
    assert limit_price(COSTS, BUY, 100.0) == bid

"""Round trips from a known sequence of fills equal the hand-computed ones, and are stored once."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huracan.execution.orders import Fill
from huracan.memory.round_trips import RoundTrip, TradeMemoryError, round_trips
from huracan.memory.store import TradeMemory
from huracan.risk.intent import Side


def fill(n: int, side: str, qty: float, price: float, fee: float, ts_ms: int) -> Fill:
    return Fill(f"t-{n}", f"c-{n}", "paper", "BTC/USDT", Side(side), qty, price, price, fee, fee, False, ts_ms)


FILLS = [
    fill(1, "buy", 1.0, 100.0, 0.1, 1_000),
    fill(2, "buy", 1.0, 110.0, 0.11, 2_000),  # adds: entry 105 on 2 base
    fill(3, "sell", 0.5, 120.0, 0.06, 3_000),  # partial exit
    fill(4, "sell", 1.5, 100.0, 0.15, 4_000),  # flat
    fill(5, "buy", 2.0, 50.0, 0.1, 5_000),
    fill(6, "sell", 2.0, 55.0, 0.11, 6_000),
    fill(7, "buy", 1.0, 60.0, 0.06, 7_000),  # still open: not a round trip
]


def test_round_trips_equal_the_hand_computed_ones() -> None:
    candles = (
        np.array([1_000, 2_000, 3_000, 9_000]),
        np.array([95.0, 94.5, 101.0, 1.0]),
        np.array([111, 112.0, 126.0, 999.0]),
    )
    first, second = round_trips(FILLS[::-1], timeframe="1h", source="paper", candles=candles)
    assert first.entry_ms == 1_000 and first.exit_ms == 4_000 and first.holding_ms == 3_000
    assert first.entry_price_quote == pytest.approx(105.0)
    assert first.exit_price_quote == pytest.approx((0.5 * 120 + 1.5 * 100) / 2)  # 105.0
    assert first.qty_base == 2.0
    assert first.fees_quote == pytest.approx(0.42)
    assert first.profit_quote == pytest.approx(210.0 - 210.0 - 0.42)
    assert first.profit_frac == pytest.approx(-0.42 / 210.0)
    assert first.mae_frac == pytest.approx(94.5 / 105 - 1)  # the candle low of 2_000; 9_000 is after the exit
    assert first.mfe_frac == pytest.approx(126.0 / 105 - 1)
    assert second.profit_quote == pytest.approx(110.0 - 100.0 - 0.21)
    assert second.mae_frac == 0.0 and second.mfe_frac == pytest.approx(0.1)  # fill prices only


def test_a_sell_beyond_the_position_is_named() -> None:
    with pytest.raises(TradeMemoryError, match=r"t-2 sells 2\.0 base"):
        round_trips([FILLS[0], fill(2, "sell", 2.0, 1.0, 0.0, 2_000)], timeframe="1h", source="paper")


@given(
    st.lists(
        st.tuples(st.floats(0.01, 10), st.floats(1, 1000), st.floats(1, 1000), st.floats(0, 1)), min_size=1, max_size=8
    )
)
def test_profit_is_proceeds_minus_cost_minus_fees(legs: list[tuple[float, float, float, float]]) -> None:
    fills, ts = [], 0
    for n, (qty, buy, sell, fee) in enumerate(legs):
        fills += [fill(2 * n, "buy", qty, buy, fee, ts), fill(2 * n + 1, "sell", qty, sell, fee, ts + 1)]
        ts += 2
    trips = round_trips(fills, timeframe="1h", source="backtest")
    assert len(trips) == len(legs)
    for trip, (qty, buy, sell, fee) in zip(trips, legs, strict=True):
        assert trip.profit_quote == pytest.approx(qty * (sell - buy) - 2 * fee, rel=1e-9, abs=1e-9)
        assert trip.mae_frac <= 0 <= trip.mfe_frac


def test_recording_twice_stores_each_round_trip_once(store_url: str) -> None:
    memory = TradeMemory.open(store_url)
    trips = round_trips(FILLS, timeframe="1h", source="paper")
    obs = np.arange(5, dtype=np.float32)
    trips = [RoundTrip(**{**trips[0].__dict__, "entry_obs": obs}), trips[1]]
    memory.record(trips)
    memory.record(trips)
    stored = memory.trips("BTC/USDT", source="paper")
    assert [t.entry_ms for t in stored] == [1_000, 5_000]
    assert stored[0].entry_obs is not None and np.array_equal(stored[0].entry_obs, obs)
    assert stored[0].profit_quote == pytest.approx(trips[0].profit_quote)

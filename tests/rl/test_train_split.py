"""The walk-forward split: time order, no overlap, the backtester's windows, and too little data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huracan.errors import TrainingError
from huracan.features.catalog import WARMUP_ROWS
from huracan.market.emulator.frames import simulated_candles
from huracan.rl.split import walk_forward_split
from huracan.timeframes import Timeframe
from huracan.trading.backtest import window_rows
from huracan.trading.market_data import MarketData

HOUR = Timeframe.parse("1h")


def market(n: int, holes: tuple[int, ...] = ()) -> MarketData:
    frame = simulated_candles(n, 1, "ETH/USDT", HOUR, 1_600_000_000_000)
    return MarketData.from_candles(frame.drop(index=frame.index[list(holes)]), HOUR)


@pytest.fixture(scope="module")
def data() -> MarketData:
    return market(1400, holes=(700, 701, 1300))


def test_windows_follow_each_other_in_time_and_cover_every_decision(data: MarketData) -> None:
    split = walk_forward_split(data)
    train, validation, test = split.windows
    assert train.start_row == data.first_row == WARMUP_ROWS
    assert train.end_row == validation.start_row and validation.end_row == test.start_row
    assert test.end_row == data.n_rows - 1  # the last candle only marks the last decision
    decisions = data.n_decisions
    assert (validation.n_decisions, test.n_decisions) == (int(0.15 * decisions), int(0.15 * decisions))
    assert train.n_decisions + validation.n_decisions + test.n_decisions == decisions
    assert train.end_ms == validation.start_ms and validation.end_ms == test.start_ms
    for window in split.windows:  # times are decision times (candle closes), end excluded
        assert window.start_ms == data.open_time_ms[window.start_row] + HOUR.ms
        assert window.end_ms == data.open_time_ms[window.end_row] + HOUR.ms
        assert window_rows(data, window.start_ms, window.end_ms) == (window.start_row, window.end_row)


@settings(max_examples=25, deadline=None, database=None)  # no .hypothesis/ in the working directory
@given(val=st.floats(0.05, 0.4), test=st.floats(0.05, 0.4))
def test_any_fractions_give_ordered_disjoint_windows(data: MarketData, val: float, test: float) -> None:
    split = walk_forward_split(data, (1.0 - val - test, val, test))
    rows = [np.arange(w.start_row, w.end_row) for w in split.windows]
    assert all(len(r) >= 16 for r in rows)
    assert np.array_equal(np.concatenate(rows), np.arange(data.first_row, data.n_rows - 1))


def test_too_little_data_names_the_window_and_what_is_needed() -> None:
    short = r"leave 79 decisions .*: 57 train \(at least 64\), 11 validation \(at least 16\), 11 test .* 371 candles"
    with pytest.raises(TrainingError, match=short):
        walk_forward_split(market(WARMUP_ROWS + 80))
    with pytest.raises(TrainingError, match="three shares > 0 summing to 1"):
        walk_forward_split(market(WARMUP_ROWS + 400), (0.8, 0.15, 0.1))

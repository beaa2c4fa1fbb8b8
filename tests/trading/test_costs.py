"""The cost model on hand-computed examples, and its batch form bit-identical to the scalar one."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huracan.trading.costs import BUY, SELL, CostModel, Fill

# fee 0.1 %, spread 0.2 % (0.1 % per side), slippage 0.01 * sqrt(participation), capped at 5 %
MODEL = CostModel(
    taker_fee_frac=0.001, maker_fee_frac=0.0005, spread_frac=0.002, slippage_coef=0.01, max_slippage_frac=0.05
)


def test_binance_spot_defaults() -> None:
    model = CostModel()
    assert (model.taker_fee_frac, model.maker_fee_frac) == (0.001, 0.001)
    assert model.half_spread_frac == 0.00005


def test_a_level_change_buys_at_the_next_open_plus_spread_and_slippage() -> None:
    # Flat with 10,000 quote, target 0.6 at ref 100: 60 base against a 6,000 base candle -> 1 % participation,
    # slippage 0.01 * sqrt(0.01) = 0.001; price 100 * (1 + 0.001 + 0.001) = 100.2; notional 6,012; fee 6.012.
    cash, position, cost = MODEL.rebalance(10_000.0, 0.0, 0.6, 100.0, 6_000.0)
    assert position == pytest.approx(60.0, rel=1e-12)
    assert cash == pytest.approx(10_000.0 - 6_012.0 - 6.012, rel=1e-12)
    assert cost == pytest.approx(60 * 100 * 0.002 + 6.012, rel=1e-12)  # 12 spread+slippage + 6.012 fee
    # the same order as a single fill
    fill = MODEL.fill(BUY, 60.0, 100.0, 6_000.0)
    assert fill == pytest.approx(Fill(100.2, 6.012, 18.012, 0.001), rel=1e-12)


def test_no_change_costs_nothing() -> None:
    # 4,000 cash + 60 base at 100 = 10,000 equity, 60 % exposed: target 0.6 places no order.
    assert MODEL.rebalance(4_000.0, 60.0, 0.6, 100.0, 6_000.0) == (4_000.0, 60.0, 0.0)
    assert MODEL.rebalance(10_000.0, 0.0, 0.0, 100.0, 0.0) == (10_000.0, 0.0, 0.0)


def test_a_large_order_against_thin_volume_hits_the_slippage_cap_and_the_cash() -> None:
    # 1,000,000 quote all in at ref 100: 10,000 base against 10 base of volume -> 0.01 * sqrt(1000) = 0.316,
    # capped at 0.05; price 100 * (1 + 0.001 + 0.05) = 105.1; cash buys 1e6 / (105.1 * 1.001) base.
    cash, position, cost = MODEL.rebalance(1_000_000.0, 0.0, 1.0, 100.0, 10.0)
    bought = 1_000_000.0 / (105.1 * 1.001)
    assert position == pytest.approx(bought, rel=1e-12)
    assert cash == 0.0
    assert cost == pytest.approx(bought * 100 * 0.051 + bought * 105.1 * 0.001, rel=1e-12)
    assert MODEL.slippage_frac(10_000.0, 10.0) == 0.05
    assert MODEL.slippage_frac(1.0, 0.0) == 0.05  # no volume at all: the cap
    # below the cap: 100 base against 400 -> 0.01 * sqrt(0.25) = 0.005
    assert MODEL.slippage_frac(100.0, 400.0) == pytest.approx(0.005, rel=1e-12)


def test_selling_to_zero_sells_exactly_the_position() -> None:
    # 60 base at ref 99 against 6,000 volume: slippage 0.001; price 99 * (1 - 0.002) = 98.802.
    cash, position, cost = MODEL.rebalance(3_981.988, 60.0, 0.0, 99.0, 6_000.0)
    assert position == 0.0
    assert cash == pytest.approx(3_981.988 + 60 * 98.802 * 0.999, rel=1e-12)
    assert cost == pytest.approx(60 * 99 * 0.002 + 60 * 98.802 * 0.001, rel=1e-12)
    assert MODEL.fill(SELL, 60.0, 99.0, 6_000.0).price_quote == pytest.approx(98.802, rel=1e-12)


def test_maker_fill_has_no_spread_or_slippage() -> None:
    assert MODEL.fill(BUY, 2.0, 100.0, 0.0, maker=True) == (100.0, 0.1, 0.1, 0.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"taker_fee_frac": 0.2}, "taker_fee_frac must be a fraction"),
        ({"maker_fee_frac": -0.001}, "maker_fee_frac"),
        ({"spread_frac": 0.5}, "spread_frac"),
        ({"slippage_coef": -1.0}, "slippage_coef"),
        ({"max_slippage_frac": 0.6}, "max_slippage_frac"),
    ],
)
def test_impossible_settings_raise(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CostModel(**kwargs)


def test_bad_fill_arguments_raise() -> None:
    with pytest.raises(ValueError, match="side must be BUY"):
        MODEL.fill(0, 1.0, 100.0, 1.0)
    with pytest.raises(ValueError, match="ref_price_quote > 0"):
        MODEL.fill(BUY, 1.0, 0.0, 1.0)


amount = st.one_of(st.just(0.0), st.floats(1e-6, 1e7))
models = st.builds(
    CostModel,
    taker_fee_frac=st.sampled_from([0.0, 0.001, 0.0075]),
    spread_frac=st.sampled_from([0.0, 0.0001, 0.01]),
    slippage_coef=st.sampled_from([0.0, 0.01, 1.0]),
    max_slippage_frac=st.sampled_from([0.0, 0.05, 0.3]),
)


@settings(max_examples=200, deadline=None)
@given(
    model=models,
    rows=st.lists(
        st.tuples(
            amount, amount, st.sampled_from([0.0, 0.2, 0.4, 0.6, 0.8, 1.0]), st.floats(1e-4, 1e6), amount, st.booleans()
        ),
        min_size=1,
        max_size=12,
    ),
)
def test_batch_equals_scalar_bit_for_bit_and_never_leaves_negative_holdings(model: CostModel, rows: list) -> None:
    cash, position, target, ref, volume, trade = (np.array(col) for col in zip(*rows, strict=True))
    batch = model.rebalance_batch(cash, position, target, ref, volume, trade.astype(bool))
    for i, row in enumerate(rows):
        expected = model.rebalance(*row[:5]) if row[5] else (row[0], row[1], 0.0)
        got = tuple(float(a[i]) for a in batch)
        assert got == expected, (i, row)
        assert got[0] >= 0.0 and got[1] >= 0.0 and got[2] >= 0.0
        equity_before = row[0] + row[1] * row[3]
        equity_after = got[0] + got[1] * row[3]
        assert math.isclose(equity_after, equity_before - got[2], rel_tol=1e-9, abs_tol=1e-9 * max(1.0, equity_before))

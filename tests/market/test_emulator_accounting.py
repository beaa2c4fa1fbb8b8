"""Property-based tests of the emulator's money path: for any sequence of orders, cancels and clock moves,
balances never go negative, locked amounts are exactly what open orders hold, every unit of each asset is
accounted for by the trades and their fees, and a rejected request changes nothing."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huracan.market.emulator import ApiError, Emulator
from huracan.market.emulator.order_model import NewOrder, OrderType, Side, TimeInForce, q8
from huracan.market.emulator.orders import OrderEngine, TradingConfig
from huracan.market.emulator.signing import DEFAULT_API_KEY
from tests.market.conftest import HOUR_MS, TRADE_CLOCK

BTC = "BTC/USDT"
START = {"USDT": Decimal(100_000), "BTC": Decimal(2)}
FEE = Decimal("0.001")
STEP, TICK = Decimal("0.00001"), Decimal("0.01")

actions = st.lists(
    st.one_of(
        st.tuples(st.just("market"), st.sampled_from(Side), st.integers(1, 20_000)),
        st.tuples(
            st.just("limit"),
            st.sampled_from(Side),
            st.integers(-500, 100),  # ticks beyond the touch: < 0 rests, >= 0 crosses
            st.integers(1, 20_000),
            st.sampled_from([TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK, None]),  # None: LIMIT_MAKER
        ),
        st.tuples(st.just("cancel"), st.integers(0, 30)),
        st.tuples(st.just("advance"), st.integers(0, 6)),
        st.tuples(st.just("advance"), st.integers(1, 3)),  # clock moves often, so resting orders fill
    ),
    max_size=25,
)


def new_engine() -> tuple[Emulator, OrderEngine]:
    config = TradingConfig(
        timeframe="1h", balances={k: float(v) for k, v in START.items()}, max_fill_volume_frac=0.0005
    )
    emu = Emulator(seed=3, symbols=(BTC,), clock_ms=TRADE_CLOCK, trading=config)  # never started: no HTTP
    return emu, emu.trading.engine


def snapshot(engine: OrderEngine) -> tuple:
    account = engine.account(DEFAULT_API_KEY)
    return (
        sorted((a, b.free, b.locked) for a, b in account.balances.items()),
        [(o.order_id, o.status, o.executed_qty) for o in engine.orders(DEFAULT_API_KEY)],
        len(engine.trades(DEFAULT_API_KEY, BTC)),
    )


def check_books(engine: OrderEngine) -> None:
    balances = engine.account(DEFAULT_API_KEY).balances
    orders, trades = engine.orders(DEFAULT_API_KEY), engine.trades(DEFAULT_API_KEY, BTC)
    for balance in balances.values():
        assert balance.free >= 0 and balance.locked >= 0
    open_orders = [o for o in orders if o.is_open]
    assert balances["USDT"].locked == sum((o.locked for o in open_orders if o.side is Side.BUY), Decimal(0))
    assert balances["BTC"].locked == sum((o.locked for o in open_orders if o.side is Side.SELL), Decimal(0))
    expected = dict(START)
    for t in trades:
        if t.side is Side.BUY:
            assert (t.commission_asset, t.commission) == ("BTC", q8(t.qty * FEE))
            expected["BTC"] += t.qty - t.commission
            expected["USDT"] -= t.quote_qty
        else:
            assert (t.commission_asset, t.commission) == ("USDT", q8(t.quote_qty * FEE))
            expected["BTC"] -= t.qty
            expected["USDT"] += t.quote_qty - t.commission
    for asset, amount in expected.items():
        assert balances[asset].free + balances[asset].locked == amount
    for order in orders:
        mine = [t for t in trades if t.order_id == order.order_id]
        assert order.executed_qty == sum((t.qty for t in mine), Decimal(0)) <= order.orig_qty
        assert order.cum_quote_qty == sum((t.quote_qty for t in mine), Decimal(0))
        assert (order.status == "FILLED") == (order.executed_qty == order.orig_qty)
        for t in mine:
            if t.is_maker:  # resting fills: at the limit price, after the order was placed, at a candle close
                assert t.price == order.price and t.time_ms > order.time_ms and (t.time_ms + 1) % HOUR_MS == 0


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions)
def test_books_balance_for_any_sequence_of_orders(steps: list[tuple]) -> None:
    emu, engine = new_engine()
    for step in steps:
        before = snapshot(engine)
        try:
            if step[0] == "advance":
                emu.advance_clock(step[1] * HOUR_MS)
            elif step[0] == "cancel":
                orders = engine.orders(DEFAULT_API_KEY)
                if orders:
                    order = orders[step[1] % len(orders)]
                    engine.cancel(DEFAULT_API_KEY, BTC, order.order_id, None, emu.clock_ms)
            else:
                quote = engine.prices.quote(BTC, emu.clock_ms)
                assert quote is not None
                side = step[1]
                if step[0] == "market":
                    new = NewOrder(BTC, side, OrderType.MARKET, TimeInForce.GTC, step[2] * STEP, None, None, None)
                else:
                    touch = quote.ask if side is Side.BUY else quote.bid
                    price = touch + step[2] * TICK * (1 if side is Side.BUY else -1)
                    kind = OrderType.LIMIT_MAKER if step[4] is None else OrderType.LIMIT
                    new = NewOrder(BTC, side, kind, step[4] or TimeInForce.GTC, step[3] * STEP, None, price, None)
                engine.place(DEFAULT_API_KEY, new, emu.clock_ms)
        except ApiError as rejection:
            assert rejection.code in (-2010, -1013, -2011)
            assert snapshot(engine) == before  # a rejection changes nothing
        check_books(engine)

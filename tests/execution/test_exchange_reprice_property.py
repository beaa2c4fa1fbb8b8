"""A property of maker-first re-pricing through real ccxt against the emulator: for any number of re-prices,
either fallback and any number of candle closes after the last one, at most one order rests on the exchange,
each attempt carries the next deterministic client id, and nothing is ever sent twice."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huracan.config import Settings
from huracan.data.db import dispose_engines
from huracan.execution.exchange import ExchangeBroker
from huracan.execution.latest import latest_closed
from huracan.execution.orders import client_order_id
from huracan.market.emulator import Emulator
from huracan.market.emulator.orders import TradingConfig
from huracan.market.emulator.signing import DEFAULT_API_KEY, DEFAULT_API_SECRET
from huracan.risk.intent import Side
from huracan.trading.execution_policy import ExecutionKind, ExecutionPolicy, Fallback
from tests.execution.test_exchange import BTC, CLOCK, HOUR


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    max_reprices=st.integers(min_value=0, max_value=3),
    fallback=st.sampled_from(list(Fallback)),
    closes_after=st.integers(min_value=0, max_value=2),
)
def test_reprices_keep_one_resting_order_and_never_resend(
    max_reprices: int, fallback: Fallback, closes_after: int
) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        Emulator(seed=1, symbols=(BTC,), clock_ms=CLOCK, trading=TradingConfig(timeframe="1h")) as emulator,
    ):
        config = Settings(
            home=Path(tmp) / "home",
            db_url=f"sqlite:///{Path(tmp) / 'store.db'}",
            exchange_url=emulator.url,
            live_trading=True,
            exchange_api_key=DEFAULT_API_KEY,
            exchange_secret=DEFAULT_API_SECRET,
            retry_base_delay_s=0.001,
            retry_max_delay_s=0.01,
        )
        broker = ExchangeBroker.from_settings(config)
        broker.sleep = lambda _s: None
        broker.exchange.enableRateLimit = False
        broker.policy = ExecutionPolicy(ExecutionKind.MAKER_FIRST, max_reprices, fallback)
        latest = latest_closed(config, BTC, HOUR)
        close_ms = latest.close_ms
        broker.decide(BTC, 0.2, latest.bar.close_quote, close_ms, close_ms, "model:property/1")

        for attempt in range(1, max_reprices + 1):  # the clock stands still: the bid never trades through
            assert broker.settle(BTC, latest.bar, latest.bar.volume_base, close_ms + attempt) == []
            (resting,) = broker.exchange.fetch_open_orders(BTC)
            assert resting["clientOrderId"] == client_order_id("live", BTC, close_ms, Side.BUY, attempt)
        last = broker.settle(BTC, latest.bar, latest.bar.volume_base, close_ms + max_reprices + 1)
        for extra in range(closes_after):  # closes after the last attempt change nothing
            assert broker.settle(BTC, latest.bar, latest.bar.volume_base, close_ms + max_reprices + 2 + extra) == []

        assert broker.exchange.fetch_open_orders(BTC) == []
        sent = max_reprices + 1 + (1 if fallback is Fallback.TAKE else 0)
        orders = emulator.trading.engine.orders(DEFAULT_API_KEY, BTC)
        assert len(orders) == sent
        assert emulator.request_count("/api/v3/order", "POST", status=None) == sent
        assert len({order.client_order_id for order in orders}) == sent
        if fallback is Fallback.TAKE:
            (fill,) = last
            assert not fill.maker and broker.book(BTC).position_base > 0.0
        else:
            assert last == [] and broker.book(BTC).position_base == 0.0
        dispose_engines()

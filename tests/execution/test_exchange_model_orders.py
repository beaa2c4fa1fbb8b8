"""The exchange broker's model orders through real ccxt against the emulator: maker_first rests a post-only
limit, re-prices it under the next attempt's client id, then takes or skips it; taker fills at once."""

from __future__ import annotations

import pytest

from huracan.config import Settings
from huracan.execution.exchange import ExchangeBroker
from huracan.execution.latest import Latest, latest_closed
from huracan.execution.orders import OrderKind, OrderStatus, client_order_id
from huracan.execution.paper import Placed
from huracan.market.emulator import Emulator
from huracan.market.emulator.order_faults import OrderFault, OrderFaultKind
from huracan.market.emulator.signing import DEFAULT_API_KEY
from huracan.risk.intent import Side
from huracan.trading.execution_policy import ExecutionKind, ExecutionPolicy, Fallback
from tests.execution import test_exchange as _exchange_tests
from tests.execution.test_exchange import BTC, HOUR

emulator = _exchange_tests.emulator  # the emulator and live-broker fixtures of the exchange broker's tests
live = _exchange_tests.live


def _decide(broker: ExchangeBroker, settings: Settings, target: float) -> tuple[Latest, Placed]:
    latest = latest_closed(settings, BTC, HOUR)
    placed = broker.decide(BTC, target, latest.bar.close_quote, latest.close_ms, latest.close_ms, "model:test/1")
    return latest, placed


def test_taker_model_order_fills_at_once(live: tuple[ExchangeBroker, Settings]) -> None:
    broker, settings = live
    _, placed = _decide(broker, settings, 0.2)
    assert placed.order is not None and placed.order.kind is OrderKind.MARKET
    assert placed.order.status is OrderStatus.FILLED and placed.fill is not None
    assert broker.book(BTC).position_base == pytest.approx(placed.order.filled_base * (1 - 0.001), rel=1e-9)


@pytest.mark.parametrize("fallback", ["take", "skip"])
def test_maker_first_rests_is_repriced_with_the_next_client_id_then_taken_or_skipped(
    live: tuple[ExchangeBroker, Settings], fallback: str
) -> None:
    broker, settings = live
    broker.policy = ExecutionPolicy(ExecutionKind.MAKER_FIRST, 2, Fallback(fallback))
    latest, placed = _decide(broker, settings, 0.2)
    first = placed.order
    assert first is not None and first.kind is OrderKind.LIMIT_MAKER and first.status is OrderStatus.ACCEPTED
    book = broker.exchange.fetch_order_book(BTC)
    assert first.limit_quote == pytest.approx(book["bids"][0][0])  # at the best bid
    assert placed.fill is None
    for attempt in (1, 2):  # the clock stands still: the bid never trades through, so it is re-priced
        assert broker.settle(BTC, latest.bar, latest.bar.volume_base, latest.close_ms + attempt) == []
        (resting,) = broker.exchange.fetch_open_orders(BTC)  # never two open orders
        assert resting["clientOrderId"] == client_order_id("live", BTC, latest.close_ms, Side.BUY, attempt)
    fills = broker.settle(BTC, latest.bar, latest.bar.volume_base, latest.close_ms + 3)
    assert broker.exchange.fetch_open_orders(BTC) == []
    if fallback == "take":
        (fill,) = fills
        assert not fill.maker and fill.client_order_id == client_order_id("live", BTC, latest.close_ms, Side.BUY, 3)
        assert broker.book(BTC).position_base > 0.0
    else:
        assert fills == [] and broker.book(BTC).position_base == 0.0


def test_lost_answer_on_a_limit_order_leaves_exactly_one_order(
    live: tuple[ExchangeBroker, Settings], emulator: Emulator
) -> None:
    broker, settings = live
    broker.policy = ExecutionPolicy(ExecutionKind.MAKER_FIRST, 2, Fallback.TAKE)
    emulator.trading.inject(OrderFault(OrderFaultKind.ACCEPTED_THEN_LOST))
    emulator.trading.inject(OrderFault(OrderFaultKind.LOOKUP_DENIED, times=3))
    _, placed = _decide(broker, settings, 0.2)
    assert placed.order is not None and placed.order.status is OrderStatus.ACCEPTED
    assert len(emulator.trading.engine.orders(DEFAULT_API_KEY, BTC)) == 1
    assert emulator.request_count("/api/v3/order", "POST", status=None) == 1  # never sent twice
    (resting,) = broker.exchange.fetch_open_orders(BTC)
    assert resting["clientOrderId"] == placed.order.client_order_id


def test_a_limit_maker_that_would_cross_is_rejected_without_a_fill(
    live: tuple[ExchangeBroker, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    broker, settings = live
    broker.policy = ExecutionPolicy(ExecutionKind.MAKER_FIRST, 2, Fallback.TAKE)
    # a buy priced at the ask (the real one, read through ccxt) would take: the exchange must refuse it
    monkeypatch.setattr(
        broker, "_best", lambda symbol, side: float(broker.exchange.fetch_order_book(symbol)["asks"][0][0])
    )
    _, placed = _decide(broker, settings, 0.2)
    assert placed.order is not None and placed.order.status is OrderStatus.REJECTED
    assert "immediately match" in placed.order.reason and placed.fill is None
    assert broker.book(BTC).position_base == 0.0 and broker.exchange.fetch_open_orders(BTC) == []


def test_a_resting_maker_buy_fills_at_its_limit_when_the_clock_moves_through_it(
    live: tuple[ExchangeBroker, Settings], emulator: Emulator
) -> None:
    broker, settings = live
    broker.policy = ExecutionPolicy(ExecutionKind.MAKER_FIRST, 2, Fallback.SKIP)
    _, placed = _decide(broker, settings, 0.2)
    assert placed.order is not None and placed.order.limit_quote is not None
    emulator.advance_clock(HOUR.ms)  # the candle the order was placed in does not count: it works from the next
    for _ in range(48):  # walk the clock an hour at a time until a candle trades below the bid
        emulator.advance_clock(HOUR.ms)
        (candle,) = broker.exchange.fetch_ohlcv(BTC, "1h", limit=2)[-2:-1]
        if candle[3] < placed.order.limit_quote:
            break
    else:
        pytest.skip("the emulator's path never traded below the bid in two days")
    nxt = latest_closed(settings, BTC, HOUR)
    (fill,) = broker.settle(BTC, nxt.bar, nxt.bar.volume_base, nxt.close_ms)
    assert fill.maker and fill.price_quote == pytest.approx(placed.order.limit_quote)
    assert fill.client_order_id == placed.order.client_order_id
    assert broker.exchange.fetch_open_orders(BTC) == []

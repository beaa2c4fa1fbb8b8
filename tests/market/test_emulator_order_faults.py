"""Order faults of the emulator (``emulator.trading.inject``), seen through the real ccxt client."""

from __future__ import annotations

import ccxt
import pytest

from huracan.market.emulator import Emulator
from huracan.market.emulator.order_faults import OrderCall, OrderFault, OrderFaultKind
from huracan.market.emulator.signing import DEFAULT_API_KEY
from tests.market.conftest import Connect

BTC = "BTC/USDT"


def open_orders(emu: Emulator) -> list:
    return emu.trading.engine.orders(DEFAULT_API_KEY, BTC, open_only=True)


def bid(emu: Emulator) -> float:
    quote = emu.trading.prices.quote(BTC, emu.clock_ms)
    assert quote is not None
    return float(quote.bid)


def test_accepted_then_lost_creates_the_order_but_the_client_sees_a_dropped_connection(
    trading_emu: Emulator, trader: ccxt.Exchange
) -> None:
    trading_emu.trading.inject(OrderFault(OrderFaultKind.ACCEPTED_THEN_LOST))
    with pytest.raises(ccxt.NetworkError) as raised:
        trader.create_order(BTC, "limit", "buy", 0.01, bid(trading_emu), {"postOnly": True, "clientOrderId": "lost-1"})
    assert not isinstance(raised.value, ccxt.ExchangeError)  # a transport failure, not an exchange answer
    (order,) = trader.fetch_open_orders(BTC)
    assert order["clientOrderId"] == "lost-1"
    assert trader.fetch_order(None, BTC, {"clientOrderId": "lost-1"})["id"] == order["id"]
    assert trading_emu.request_count("/api/v3/order", "POST", status=None) == 1


def test_accepted_then_lost_after_the_client_timeout_is_a_timeout(trading_emu: Emulator, connect: Connect) -> None:
    impatient = connect(trading_emu, timeout_ms=200)
    trading_emu.trading.inject(OrderFault(OrderFaultKind.ACCEPTED_THEN_LOST, delay_s=1.0))
    with pytest.raises(ccxt.RequestTimeout):
        impatient.create_order(BTC, "market", "buy", 0.01)
    (order,) = trading_emu.trading.engine.orders(DEFAULT_API_KEY, BTC)
    assert order.status == "FILLED"


def test_server_error_before_acceptance_changes_nothing_and_a_retry_succeeds(
    trading_emu: Emulator, trader: ccxt.Exchange
) -> None:
    trading_emu.trading.inject(OrderFault(OrderFaultKind.SERVER_ERROR, status=502))
    params = {"clientOrderId": "retry-1"}
    with pytest.raises(ccxt.ExchangeNotAvailable):
        trader.create_order(BTC, "market", "buy", 0.01, None, params)
    assert trading_emu.trading.engine.orders(DEFAULT_API_KEY) == []
    assert trader.create_order(BTC, "market", "buy", 0.01, None, params)["status"] == "closed"
    assert len(trading_emu.trading.engine.orders(DEFAULT_API_KEY)) == 1


def test_rate_limit_answers_429_with_retry_after_and_creates_nothing(
    trading_emu: Emulator, trader: ccxt.Exchange
) -> None:
    trading_emu.trading.inject(OrderFault(OrderFaultKind.RATE_LIMIT, retry_after_s=7))
    with pytest.raises(ccxt.DDoSProtection):
        trader.create_order(BTC, "market", "buy", 0.01)
    assert trader.last_response_headers["Retry-After"] == "7"
    assert trading_emu.trading.engine.orders(DEFAULT_API_KEY) == []


def test_slow_answer_arrives_late_or_times_out_with_the_order_created(trading_emu: Emulator, connect: Connect) -> None:
    patient, impatient = connect(trading_emu, timeout_ms=5000), connect(trading_emu, timeout_ms=200)
    trading_emu.trading.inject(OrderFault(OrderFaultKind.SLOW, delay_s=0.3))
    assert patient.create_order(BTC, "market", "buy", 0.01)["status"] == "closed"
    trading_emu.trading.inject(OrderFault(OrderFaultKind.SLOW, delay_s=1.0))
    with pytest.raises(ccxt.RequestTimeout):
        impatient.create_order(BTC, "market", "buy", 0.01)
    assert len(trading_emu.trading.engine.orders(DEFAULT_API_KEY)) == 2


def test_lookup_denied_for_the_first_lookups_of_an_order_that_exists(
    trading_emu: Emulator, trader: ccxt.Exchange
) -> None:
    order = trader.create_order(BTC, "limit", "buy", 0.01, bid(trading_emu), {"clientOrderId": "fresh-1"})
    trading_emu.trading.inject(OrderFault(OrderFaultKind.LOOKUP_DENIED, times=3))
    with pytest.raises(ccxt.OrderNotFound):
        trader.fetch_order("999", BTC)  # a lookup of an order that does not exist does not use the fault up
    assert trading_emu.trading.pending_faults()[0][1] == 3
    for _ in range(2):
        with pytest.raises(ccxt.OrderNotFound, match="Order does not exist"):
            trader.fetch_order(order["id"], BTC)
    with pytest.raises(ccxt.OrderNotFound):
        trader.fetch_order(None, BTC, {"clientOrderId": "fresh-1"})
    assert trader.fetch_order(order["id"], BTC)["id"] == order["id"]
    assert [o["id"] for o in trader.fetch_open_orders(BTC)] == [order["id"]]  # other calls always saw it
    assert trading_emu.trading.pending_faults() == []


def test_faults_target_their_call_and_client_order_id(trading_emu: Emulator, trader: ccxt.Exchange) -> None:
    price = bid(trading_emu) - 100
    emu = trading_emu.trading
    emu.inject(OrderFault(OrderFaultKind.SERVER_ERROR, client_order_id="target"))
    emu.inject(OrderFault(OrderFaultKind.ACCEPTED_THEN_LOST, call=OrderCall.CANCEL))
    other = trader.create_order(BTC, "limit", "buy", 0.01, price, {"clientOrderId": "other"})
    with pytest.raises(ccxt.ExchangeNotAvailable):
        trader.create_order(BTC, "limit", "buy", 0.01, price, {"clientOrderId": "target"})
    with pytest.raises(ccxt.NetworkError):
        trader.cancel_order(other["id"], BTC)  # cancelled, answer lost
    assert trader.fetch_order(other["id"], BTC)["status"] == "canceled"
    assert open_orders(trading_emu) == [] and emu.pending_faults() == []


def test_order_fault_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="times"):
        OrderFault(OrderFaultKind.SLOW, times=0)
    with pytest.raises(ValueError, match="status"):
        OrderFault(OrderFaultKind.SERVER_ERROR, status=404)
    assert OrderFault(OrderFaultKind.LOOKUP_DENIED, call=OrderCall.CREATE).call is OrderCall.LOOKUP

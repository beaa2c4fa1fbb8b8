"""The exchange broker through real ccxt against the emulator: fills and books, faults without duplicate
orders, rejections, the exchange's filters, reconciliation, and keys that never leak."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from huracan.config import Settings
from huracan.errors import ReconciliationError
from huracan.execution.exchange import ExchangeBroker
from huracan.execution.latest import latest_closed
from huracan.execution.orders import OrderStatus
from huracan.market.emulator import Emulator
from huracan.market.emulator.order_faults import OrderFault, OrderFaultKind
from huracan.market.emulator.orders import TradingConfig
from huracan.market.emulator.signing import DEFAULT_API_KEY, DEFAULT_API_SECRET
from huracan.risk.intent import Side
from huracan.timeframes import Timeframe

BTC = "BTC/USDT"
HOUR = Timeframe.parse("1h")
CLOCK = 1_640_995_200_000 + 1000 * HOUR.ms + 60_000  # a minute after a 1h candle closed


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(seed=1, symbols=(BTC,), clock_ms=CLOCK, trading=TradingConfig(timeframe="1h")) as emu:
        yield emu


@pytest.fixture
def live(emulator: Emulator, tmp_path: Path, store_url: str) -> tuple[ExchangeBroker, Settings]:
    settings = Settings(
        home=tmp_path / "home",
        db_url=store_url,
        exchange_url=emulator.url,
        live_trading=True,
        exchange_api_key=DEFAULT_API_KEY,
        exchange_secret=DEFAULT_API_SECRET,
        retry_base_delay_s=0.001,
        retry_max_delay_s=0.01,
    )
    broker = ExchangeBroker.from_settings(settings)
    broker.sleep = lambda _s: None
    broker.exchange.enableRateLimit = False
    return broker, settings


def buy(broker: ExchangeBroker, settings: Settings, quote: float, side: Side = Side.BUY):  # type: ignore[no-untyped-def]
    latest = latest_closed(settings, BTC, HOUR)
    return broker.order(BTC, side, quote, latest.bar, latest.close_ms, latest.now_ms, "tester")


def exchange_orders(emulator: Emulator) -> list:
    return emulator.trading.engine.orders(DEFAULT_API_KEY, BTC)


def held_btc(broker: ExchangeBroker) -> float:
    return float(broker.exchange.fetch_balance()["total"].get("BTC") or 0.0)


def test_a_buy_and_a_sell_fill_on_the_exchange_and_move_the_book(
    live: tuple[ExchangeBroker, Settings], emulator: Emulator
) -> None:
    broker, settings = live
    bought = buy(broker, settings, 1_000.0)
    assert bought.decision is not None and bought.decision.passed
    assert bought.order is not None and bought.order.status is OrderStatus.FILLED
    assert bought.order.exchange_order_id is not None and bought.fill is not None
    (on_exchange,) = exchange_orders(emulator)
    assert on_exchange.client_order_id == bought.order.client_order_id  # the deterministic id was sent
    book = broker.book(BTC)
    assert book.position_base == pytest.approx(held_btc(broker), rel=1e-12)  # the fee was charged in BTC
    assert bought.fill.fee_quote == pytest.approx(bought.fill.qty_base * bought.fill.price_quote * 0.001, rel=1e-6)
    sold = buy(broker, settings, 10_000.0, Side.SELL)  # more than held: the risk manager caps it at the position
    assert sold.order is not None and sold.order.status is OrderStatus.FILLED
    step = float(broker.exchange.market(BTC)["precision"]["amount"])  # the lot step: what cannot be sold
    assert broker.book(BTC).position_base == pytest.approx(held_btc(broker), abs=1e-12)
    assert broker.book(BTC).position_base < step
    assert len(exchange_orders(emulator)) == 2


def test_a_lost_answer_and_an_exchange_that_denies_the_order_at_first_yield_exactly_one_order(
    live: tuple[ExchangeBroker, Settings], emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    broker, settings = live
    emulator.trading.inject(OrderFault(OrderFaultKind.ACCEPTED_THEN_LOST))
    emulator.trading.inject(OrderFault(OrderFaultKind.LOOKUP_DENIED, times=3))
    with caplog.at_level(logging.DEBUG):
        placed = buy(broker, settings, 1_000.0)
    assert placed.order is not None and placed.order.status is OrderStatus.FILLED
    assert len(exchange_orders(emulator)) == 1
    assert emulator.request_count("/api/v3/order", "POST", status=None) == 1  # never sent twice
    assert broker.book(BTC).position_base == pytest.approx(held_btc(broker), rel=1e-12)
    assert "looking it up" in caplog.text
    assert DEFAULT_API_KEY not in caplog.text and DEFAULT_API_SECRET not in caplog.text


def test_a_5xx_before_acceptance_is_sent_again_once_safely(
    live: tuple[ExchangeBroker, Settings], emulator: Emulator
) -> None:
    broker, settings = live
    emulator.trading.inject(OrderFault(OrderFaultKind.SERVER_ERROR))
    placed = buy(broker, settings, 1_000.0)
    assert placed.order is not None and placed.order.status is OrderStatus.FILLED
    assert len(exchange_orders(emulator)) == 1
    assert emulator.request_count("/api/v3/order", "POST", status=None) == 2


def test_a_rejected_order_is_reported_with_the_exchanges_reason_and_nothing_is_filled(
    live: tuple[ExchangeBroker, Settings], emulator: Emulator
) -> None:
    broker, settings = live
    emulator.trading.engine.set_balance(DEFAULT_API_KEY, "USDT", 50)
    placed = buy(broker, settings, 1_000.0)
    assert placed.order is not None and placed.order.status is OrderStatus.REJECTED
    assert "insufficient balance" in placed.order.reason.lower()
    assert placed.fill is None and broker.book(BTC).position_base == 0.0
    with broker.store.transaction() as connection:
        assert broker.store.fills(connection) == []
    tiny = buy(broker, settings, 2.0)  # below the exchange's minimum notional of 5: never sent
    assert tiny.order is not None and tiny.order.status is OrderStatus.REJECTED and "minimum" in tiny.order.reason
    dust = buy(broker, settings, 0.0001)  # rounds to nothing at the lot step: never sent either
    assert dust.order is not None and dust.order.status is OrderStatus.REJECTED and "lot size" in dust.order.reason
    assert emulator.request_count("/api/v3/order", "POST", status=None) == 1


def test_a_mismatch_between_exchange_and_store_halts_the_symbol(
    live: tuple[ExchangeBroker, Settings], emulator: Emulator
) -> None:
    broker, settings = live
    buy(broker, settings, 1_000.0)
    emulator.trading.engine.set_balance(DEFAULT_API_KEY, "BTC", 0)  # someone emptied the account by hand
    with pytest.raises(ReconciliationError, match=r"the book holds .* the exchange 0"):
        buy(broker, settings, 100.0)
    with pytest.raises(ReconciliationError, match="halted"):
        buy(broker, settings, 100.0)
    assert len(exchange_orders(emulator)) == 1


def test_keys_never_reach_the_store(live: tuple[ExchangeBroker, Settings]) -> None:
    broker, settings = live
    buy(broker, settings, 1_000.0)
    with broker.store.engine.connect() as connection:
        for table in ("orders", "fills", "books", "accounts", "risk_decisions"):
            dump = " ".join(str(row) for row in connection.execute(text(f"SELECT * FROM {table}")))
            assert DEFAULT_API_KEY not in dump and DEFAULT_API_SECRET not in dump, table

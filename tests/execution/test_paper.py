"""The paper broker: candle by candle it fills exactly as the backtester; risk-gated; reruns change nothing."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pytest

from huracan.execution.orders import OrderKind, OrderStatus
from huracan.execution.paper import PaperAccountConfig, PaperBroker
from huracan.execution.store import ExecutionStore
from huracan.features.catalog import WARMUP_ROWS
from huracan.features.observation import EXPOSURE_LEVELS
from huracan.live.replay import REPLAY_LIMITS, bar_at
from huracan.market.emulator.simulated import SimulatedSeries
from huracan.risk import RiskLimits, RiskManager, RiskStore, Side, Verdict
from huracan.timeframes import Timeframe
from huracan.trading.backtest import replay_levels
from huracan.trading.config import EnvConfig
from huracan.trading.costs import CostModel
from huracan.trading.execution_policy import ExecutionPolicy
from huracan.trading.market_data import MarketData

HOUR = Timeframe.parse("1h")
COSTS = CostModel(taker_fee_frac=0.001, maker_fee_frac=0.0002, spread_frac=0.002, slippage_coef=0.01)
SYMBOL = "BTC/USDT"
SOURCE = "model:huracan-BTC-USDT-1h/1"


def market(n: int, seed: int) -> MarketData:
    series = SimulatedSeries(seed, SYMBOL, HOUR, 1_700_000_000_000 - 1_700_000_000_000 % HOUR.ms)
    columns = series.columns(0, n)
    index = pd.to_datetime(series.origin_ms + np.arange(n) * HOUR.ms, unit="ms", utc=True).rename("open_time")
    return MarketData.from_candles(
        pd.DataFrame({c: columns[c] for c in ("open", "high", "low", "close", "volume")}, index=index), HOUR
    )


def broker(
    url: str, policy: ExecutionPolicy, limits: RiskLimits = REPLAY_LIMITS, equity: float = 10_000.0
) -> PaperBroker:
    risk = RiskManager(limits, RiskStore.open(url))
    config = PaperAccountConfig(starting_equity_quote=equity, allocation_quote=equity)
    return PaperBroker(ExecutionStore.open(url), risk, COSTS, policy, config=config)


def walk(paper: PaperBroker, data: MarketData, levels: np.ndarray, start: int) -> list[float]:
    """Drive the broker as the live tick does: at each close settle the candle, then decide on a new level."""
    equity, level = [], 0
    for i in range(len(levels) + 1):
        row = start + i
        close_ms = int(data.open_time_ms[row]) + HOUR.ms  # type: ignore[index]
        if i > 0:
            paper.settle(SYMBOL, bar_at(data, row), float(data.volume_base[row - 1]), close_ms)
            book = paper.book(SYMBOL)
            assert book is not None
            equity.append(book.cash_quote + book.position_base * float(data.close_quote[row]))
        if i < len(levels) and levels[i] != level:
            level = int(levels[i])
            paper.decide(SYMBOL, EXPOSURE_LEVELS[level], float(data.close_quote[row]), close_ms, close_ms, SOURCE)
    return equity


@pytest.mark.parametrize(
    "policy",
    [ExecutionPolicy(), ExecutionPolicy("maker_first", 1, "take"), ExecutionPolicy("maker_first", 2, "skip")],
    ids=lambda p: p.describe(),
)
def test_paper_fills_equal_the_backtest_on_the_same_candles_and_policy(store_url: str, policy: ExecutionPolicy) -> None:
    data = market(WARMUP_ROWS + 140, seed=4)
    rng = np.random.default_rng(1)
    levels = np.repeat(rng.integers(0, 6, size=40), 3)[:120]
    expected = replay_levels(
        data, levels, WARMUP_ROWS, EnvConfig(initial_equity_quote=10_000.0, costs=COSTS), policy=policy
    )
    paper = broker(store_url, policy)
    equity = walk(paper, data, levels, WARMUP_ROWS)
    assert equity == expected.equity_quote[1:].tolist()  # bit for bit
    with paper.store.transaction() as connection:
        fills = paper.store.fills(connection, "paper", SYMBOL)
        orders = paper.store.orders(connection, "paper", SYMBOL)
    assert expected.fills is not None
    assert len(fills) == expected.fills.maker_fills + expected.fills.taker_fills
    assert sum(f.maker for f in fills) == expected.fills.maker_fills
    assert sum(f.cost_quote for f in fills) == pytest.approx(expected.metrics["costs_quote"], rel=1e-12)
    assert len(orders) == expected.fills.orders
    assert sum(o.status is OrderStatus.EXPIRED for o in orders) == expected.fills.skipped


def test_a_rerun_of_the_same_tick_changes_nothing(store_url: str) -> None:
    data = market(WARMUP_ROWS + 10, seed=2)
    paper = broker(store_url, ExecutionPolicy())
    row = WARMUP_ROWS
    close_ms = int(data.open_time_ms[row]) + HOUR.ms  # type: ignore[index]
    first = paper.decide(SYMBOL, 0.6, float(data.close_quote[row]), close_ms, close_ms, SOURCE)
    again = paper.decide(SYMBOL, 0.6, float(data.close_quote[row]), close_ms, close_ms, SOURCE)
    assert first.order is not None and again.order == first.order
    paper.settle(SYMBOL, bar_at(data, row + 1), float(data.volume_base[row]), close_ms + HOUR.ms)
    book = paper.book(SYMBOL)
    paper.settle(SYMBOL, bar_at(data, row + 1), float(data.volume_base[row]), close_ms + HOUR.ms)
    assert paper.book(SYMBOL) == book
    with paper.store.transaction() as connection:
        assert len(paper.store.fills(connection)) == 1
        assert [o.status for o in paper.store.orders(connection)] == [OrderStatus.FILLED]


@pytest.mark.parametrize("account_exists", [False, True], ids=["new account", "existing account"])
def test_books_opened_at_once_on_one_account_each_take_their_own_cash(store_url: str, account_exists: bool) -> None:
    # The live DAG's ticks of two symbols open their books in one account at once (two workers). B opens
    # ETH while A's transaction has opened BTC and not committed yet: B must wait for A and allocate from
    # the cash A left, neither failing on the account A created nor overwriting A's allocation.
    config = PaperAccountConfig(starting_equity_quote=10_000.0, allocation_quote=3_000.0)
    paper = PaperBroker(
        ExecutionStore.open(store_url),
        RiskManager(REPLAY_LIMITS, RiskStore.open(store_url)),
        COSTS,
        ExecutionPolicy(),
        config=config,
    )
    now_ms = 1_700_000_000_000
    if account_exists:
        paper.open_book("SOL/USDT", now_ms)
    b_starts, errors = threading.Event(), []

    def open_b() -> None:
        b_starts.set()
        try:
            paper.open_book("ETH/USDT", now_ms)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    b = threading.Thread(target=open_b)
    with paper.store.transaction() as connection:
        account = paper.store.open_account(connection, "paper", "paper", "USDT", 10_000.0, now_ms)
        paper.store.open_book(connection, account, "BTC/USDT", 3_000.0, now_ms)
        b.start()
        b_starts.wait()
        time.sleep(0.3)  # let B reach the database while A holds the account (scheduling only, nothing is timed)
    b.join()
    assert errors == []
    with paper.store.transaction() as connection:
        opened = paper.store.books(connection, "paper")
        cash = paper.store.account(connection, "paper")
    assert cash is not None and [book.symbol for book in opened] == sorted(
        ["BTC/USDT", "ETH/USDT"] + (["SOL/USDT"] if account_exists else [])
    )
    assert [book.allocation_quote for book in opened] == [3_000.0] * len(opened)
    assert cash.cash_quote == 10_000.0 - 3_000.0 * len(opened)


def test_limits_that_bind_resize_the_order_and_the_book_trades_only_what_was_approved(store_url: str) -> None:
    data = market(WARMUP_ROWS + 10, seed=2)
    limits = RiskLimits(
        max_position_quote=2_000.0, max_heat_frac=1.0, max_order_notional_quote=1e9, price_band_frac=0.5
    )
    paper = broker(store_url, ExecutionPolicy(), limits)
    row = WARMUP_ROWS
    close = float(data.close_quote[row])
    close_ms = int(data.open_time_ms[row]) + HOUR.ms  # type: ignore[index]
    placed = paper.decide(SYMBOL, 1.0, close, close_ms, close_ms, SOURCE)  # all 10,000 in: far above 2,000
    assert placed.decision is not None and placed.decision.verdict is Verdict.RESIZED
    assert placed.order is not None and placed.order.qty_base == pytest.approx(2_000.0 / close)
    (fill,) = paper.settle(SYMBOL, bar_at(data, row + 1), float(data.volume_base[row]), close_ms + HOUR.ms)
    assert fill.qty_base == pytest.approx(2_000.0 / close, rel=1e-9)  # the cap, not the target
    denied = paper.decide(SYMBOL, 0.0, float(data.close_quote[row + 1]), close_ms + HOUR.ms, close_ms + HOUR.ms, SOURCE)
    assert denied.decision is not None and denied.decision.verdict is Verdict.APPROVED  # selling always reduces


def test_a_manual_order_fills_at_once_at_the_last_close_and_a_denied_one_is_recorded(store_url: str) -> None:
    data = market(WARMUP_ROWS + 10, seed=3)
    paper = broker(store_url, ExecutionPolicy(), RiskLimits(), equity=100_000.0)
    last = bar_at(data, WARMUP_ROWS)
    close_ms = last.open_ms + HOUR.ms
    placed = paper.order(SYMBOL, Side.BUY, 1_000.0, last, close_ms, close_ms + 1_000, "tester")
    assert placed.fill is not None and placed.order is not None and placed.order.status is OrderStatus.FILLED
    assert placed.order.kind is OrderKind.MARKET
    assert placed.fill.qty_base == pytest.approx(1_000.0 / last.close_quote, rel=1e-12)
    expected = COSTS.fill(1, 1_000.0 / last.close_quote, last.close_quote, last.volume_base)
    assert placed.fill.price_quote == pytest.approx(expected.price_quote, rel=1e-12)
    assert placed.fill.cost_quote == pytest.approx(expected.cost_quote, rel=1e-12)
    book = paper.book(SYMBOL)
    assert book is not None and book.position_base == placed.fill.qty_base
    # the default book is 5,000: a second buy of 6,000 more is resized to what fits under the position limit
    resized = paper.order(SYMBOL, Side.BUY, 6_000.0, last, close_ms, close_ms + 2_000, "tester")
    assert resized.decision is not None and resized.decision.verdict is Verdict.RESIZED
    stale = paper.order(SYMBOL, Side.BUY, 100.0, last, close_ms, close_ms + 3 * 3_600_000, "tester")
    assert stale.decision is not None and stale.decision.verdict is Verdict.DENIED
    assert stale.order is not None and stale.order.status is OrderStatus.DENIED and "stale" in stale.order.reason
    assert stale.fill is None

"""``huracan paper-run``: a model's live ticks replayed over stored history, beside its backtest.

Every decision row of the window runs :func:`huracan.live.step.step`, exactly what the live tick runs at
a candle close (settle the candle, observe, decide, risk-check, order on the paper broker, record), on
candles from the store and at full speed. The account, ``replay:<model>/<version>:<window start>``,
starts with the backtest's initial equity, all of it allocated to the symbol's book. With the default
``limits="replay"`` the risk manager checks every order against limits that cannot bind, so the paper
account must equal the backtest of the same model, window, costs and execution policy bit for bit;
``limits="settings"`` applies the configured limits, and then every difference is one of the risk
manager's recorded resizes or denials.

The ticks run in batches of :data:`TICKS_PER_COMMIT`, each one transaction
(:meth:`PaperBroker.session <huracan.execution.paper.PaperBroker.session>`); the store is the user's,
with its usual durability.

The market features are computed once over the window: a row's features depend only on the last
``LOOKBACK_ROWS`` candles, exactly (``tests/live/test_replay.py`` checks them against a tick's own
computation on just those candles).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from huracan.clock import format_ms, iso_ms
from huracan.errors import ConfigError
from huracan.execution.paper import Bar, PaperAccountConfig, PaperBroker
from huracan.execution.store import ExecutionStore
from huracan.features.catalog import N_MARKET_FEATURES
from huracan.live.decisions import Decision, DecisionStore
from huracan.live.step import Model, step
from huracan.risk.limits import RiskLimits
from huracan.trading.metrics import compute_metrics

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from huracan.config import Settings
    from huracan.timeframes import Timeframe
    from huracan.trading.backtest import BacktestResult
    from huracan.trading.execution_policy import ExecutionPolicy
    from huracan.trading.market_data import MarketData

REPLAY_LIMITS = RiskLimits(
    max_position_quote=1e15,
    daily_loss_limit_quote=1e15,
    max_heat_frac=1.0,
    breaker_loss_quote=1e15,
    daily_profit_target_quote=0.0,
    max_order_notional_quote=1e15,
    min_order_notional_quote=0.0,
    price_band_frac=0.99,
)
"""Limits no replay can reach (spot, long only: a position is at most the book's equity), so a replay
equals the backtest; every order still goes through the risk manager and is recorded."""


@dataclass(frozen=True)
class PaperRun:
    """A replay and the backtest of the same model on the same window.

    :param account: the paper account the replay traded.
    :param times_ms: (k+1,) close times, ms UTC: the first decision's, then each step's mark.
    :param equity_quote: (k+1,) the paper account's equity at those closes, quote.
    :param levels: (k,) the level held after each decision.
    :param metrics: the backtest's metric keys computed on the paper account.
    :param backtest: the backtest of the same model, window, costs and execution policy.
    :param decisions: the recorded decisions, in time order.
    :param resized: orders the risk manager resized; ``denied`` those it denied.
    """

    account: str
    times_ms: np.ndarray
    equity_quote: np.ndarray
    levels: np.ndarray
    metrics: dict[str, float]
    backtest: BacktestResult
    decisions: tuple[Decision, ...]
    resized: int
    denied: int
    fills: int

    @property
    def identical(self) -> bool:
        """The paper account's equity and levels equal the backtest's, bit for bit."""
        return bool(
            np.array_equal(self.equity_quote, self.backtest.equity_quote)
            and np.array_equal(self.levels, self.backtest.levels)
        )

    def as_json(self) -> dict[str, Any]:
        """``{"paper": {...metrics}, "backtest": {...metrics}, "window": {...}, ...}``; non-finite as null."""

        def finite(metrics: dict[str, float]) -> dict[str, float | None]:
            return {k: (v if np.isfinite(v) else None) for k, v in metrics.items()}

        return {
            "account": self.account,
            "paper": finite(self.metrics) | {"final_equity_quote": float(self.equity_quote[-1])},
            "backtest": finite(self.backtest.metrics) | {"final_equity_quote": float(self.backtest.equity_quote[-1])},
            "identical": self.identical,
            "window": {
                "start": iso_ms(int(self.times_ms[0])),
                "end": iso_ms(int(self.times_ms[-1])),
                "decisions": len(self.levels),
            },
            "fills": self.fills,
            "resized": self.resized,
            "denied": self.denied,
        }


TICKS_PER_COMMIT = 200
"""Replayed ticks per transaction (:meth:`PaperBroker.session`): the account, its books, open orders and
risk state are read once per transaction, and a commit is one per batch; a failure rolls back at most
the batch, which a rerun redoes (every step is idempotent). On SQLite the batch holds the write lock,
for well under a second."""


def bar_at(data: MarketData, row: int) -> Bar:
    """Candle ``row`` of ``data`` as the broker reads it."""
    if data.open_time_ms is None or data.high_quote is None or data.low_quote is None:
        raise ConfigError("a replay needs candles with times, highs and lows (MarketData.from_candles)")
    return Bar(
        int(data.open_time_ms[row]),
        float(data.open_quote[row]),
        float(data.high_quote[row]),
        float(data.low_quote[row]),
        float(data.close_quote[row]),
        float(data.volume_base[row]),
    )


def replay_ticks(
    broker: PaperBroker,
    decisions: DecisionStore,
    model: Model,
    symbol: str,
    timeframe: Timeframe,
    data: MarketData,
    start_row: int,
    end_row: int,
) -> tuple[list[float], list[int]]:
    """Run :func:`step` at the close of every row in ``[start_row, end_row)``, then settle row ``end_row``
    (the last step's mark). Returns the equity after each step's mark and the level after each decision."""
    equity: list[float] = []
    levels: list[int] = []
    volume = data.volume_base
    for chunk in range(start_row, end_row, TICKS_PER_COMMIT):
        with broker.session():
            for row in range(chunk, min(chunk + TICKS_PER_COMMIT, end_row)):
                close_ms = int(data.open_time_ms[row]) + timeframe.ms  # type: ignore[index]
                stepped = step(
                    broker, decisions, model, symbol, timeframe.name, data.features[row, :N_MARKET_FEATURES],
                    bar_at(data, row), float(volume[row - 1]), close_ms,
                )  # fmt: skip
                if row > start_row:
                    equity.append(float(stepped.decision.equity_quote))  # type: ignore[arg-type]
                levels.append(int(stepped.decision.action))  # type: ignore[arg-type]
    last = bar_at(data, end_row)
    with broker.session():
        broker.settle(symbol, last, float(volume[end_row - 1]), last.open_ms + timeframe.ms)
        book = broker.book(symbol)
    equity.append(book.equity_quote(last.close_quote) if book is not None else broker.config.starting_equity_quote)
    return equity, levels


def paper_run(
    settings: Settings,
    client: MlflowClient,
    symbol: str,
    timeframe: Timeframe,
    start_ms: int,
    end_ms: int,
    model: str | None = "champion",
    limits: str = "replay",
    execution: ExecutionPolicy | None = None,
) -> PaperRun:
    """Replay ``model``'s ticks over ``[start_ms, end_ms)`` (decision times, ms UTC) on the paper broker and
    backtest it on the same rows; see the module docstring for ``limits`` (``replay`` or ``settings``)."""
    from huracan.data.candle_store import SeriesKey
    from huracan.registry.evaluation import decision_rows, load_market_data
    from huracan.registry.models import load_policy, resolve
    from huracan.registry.naming import model_name
    from huracan.risk.manager import RiskManager
    from huracan.risk.store import RiskStore
    from huracan.rl.batch_policy import policy_action_table
    from huracan.rl.train import configure_torch
    from huracan.trading.backtest import replay, window_times_ms
    from huracan.trading.execution_policy import ExecutionPolicy

    if limits not in ("replay", "settings"):
        raise ConfigError(f"--limits must be replay or settings, got {limits!r}")
    if start_ms >= end_ms:
        raise ConfigError(f"the window start {format_ms(start_ms)} is not before its end {format_ms(end_ms)}")
    policy_kind = ExecutionPolicy.from_settings(settings) if execution is None else execution
    ref = resolve(client, model_name(symbol, timeframe), model)
    configure_torch()
    sb3 = load_policy(ref)
    data = load_market_data(settings, SeriesKey(settings.exchange, symbol, timeframe.name), start_ms, end_ms)
    start_row, end_row = decision_rows(data, start_ms, end_ms)
    env_config = ref.env_config()
    table = policy_action_table(sb3, data.features, start_row, end_row)
    backtest = replay(data, table, start_row, end_row, env_config, name="model", policy=policy_kind)
    initial = float(env_config.initial_equity_quote)
    account = f"replay:{ref.name}/{ref.version}:{int(data.open_time_ms[start_row])}"[:64]  # type: ignore[index]
    risk_limits = REPLAY_LIMITS if limits == "replay" else RiskLimits.from_settings(settings)
    config = PaperAccountConfig(initial, initial, settings.account_currency)
    broker = PaperBroker(
        ExecutionStore.open(settings.store_url),
        RiskManager(risk_limits, RiskStore.open(settings.store_url)),
        env_config.costs,
        policy_kind,
        account,
        config,
    )
    decisions = DecisionStore.open(settings.store_url)
    role = Model("replay", ref.name, ref.version, ref.uri, sb3)
    marks, levels = replay_ticks(broker, decisions, role, symbol, timeframe, data, start_row, end_row)
    equity = np.array([initial, *marks])
    levels_arr = np.array(levels, dtype=np.int64)
    with broker.store.transaction() as connection:
        fills = broker.store.fills(connection, account, symbol)
    recorded = tuple(decisions.history(account, symbol, timeframe.name))
    fees = 0.0
    for fill in fills:  # summed in order, as the backtest sums its costs
        fees += fill.cost_quote
    # one dot product, as the backtest computes its turnover (a running sum rounds differently)
    traded = float(np.dot([f.qty_base for f in fills], [f.reference_quote for f in fills])) if fills else 0.0
    metrics = compute_metrics(equity, levels_arr, timeframe, fees, traded)
    verdicts = [d.verdict for d in recorded]
    return PaperRun(
        account=account,
        times_ms=window_times_ms(data, start_row, len(levels_arr)),
        equity_quote=equity,
        levels=levels_arr,
        metrics=metrics,
        backtest=backtest,
        decisions=recorded,
        resized=verdicts.count("resized"),
        denied=verdicts.count("denied"),
        fills=len(fills),
    )

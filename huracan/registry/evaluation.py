"""Backtest a model (or a baseline) on a window against every baseline, and log it to the model's run.

What ``huracan backtest`` runs. The model is resolved (:func:`huracan.registry.models.resolve`), the
window defaults to the model's own test window (never trained on, never used for selection), the
candles are read from the store with enough history before the window for the features' warm-up, the
policy becomes an action table in a few batched forward passes
(:func:`huracan.rl.batch_policy.policy_action_table`) and is replayed with the cost model it was
trained with (:func:`huracan.trading.backtest.replay`). The baselines
(:func:`huracan.trading.baselines.run_baselines`) run on the same rows with the same costs.

Logged to the model's training run: metrics ``backtest/<metric>`` (the model) and
``backtest/<baseline>/<metric>`` for the test window, or under ``backtest/window_<start>_<end>/`` for
any other window; the equity and drawdown plot as the artifact ``backtest/equity_<window>.png``; and
tags naming the window. Non-finite metrics (an infinite profit factor) are not logged. On the test window
the model's action counts (how often it chose each exposure level) are logged as the JSON artifact
:data:`ACTIONS_ARTIFACT`, which the live model watch (:mod:`huracan.health.watch`) compares live actions with.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from huracan.clock import format_ms
from huracan.data.candle_store import CandleStore, SeriesKey
from huracan.errors import ConfigError, NoDataError
from huracan.features.catalog import LOOKBACK_ROWS
from huracan.features.observation import EXPOSURE_LEVELS
from huracan.registry.keys import BACKTEST_PREFIX, backtest_key, backtest_window_tags
from huracan.registry.naming import model_name
from huracan.timeframes import Timeframe

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from huracan.config import Settings
    from huracan.memory.round_trips import RoundTrip
    from huracan.registry.models import ModelRef
    from huracan.rl.batch_policy import Decider
    from huracan.trading.backtest import BacktestResult
    from huracan.trading.config import EnvConfig
    from huracan.trading.execution_policy import ExecutionPolicy
    from huracan.trading.market_data import MarketData

log = logging.getLogger(__name__)

ACTIONS_ARTIFACT = "backtest/actions.json"
"""The model's test-window action counts: ``{"counts": [n_level_0, .., n_level_5], "start_ms", "end_ms"}``."""


@dataclass(frozen=True)
class Evaluation:
    """A backtest of one subject and the baselines on one window.

    :param key: the series.
    :param subject: the model's result, or a baseline's when a baseline was backtested alone.
    :param baselines: every baseline's result, by name (the subject's too when it is one).
    :param start_row: first decision row in ``data``.
    :param end_row: one past the last decision row.
    :param data: the arrays replayed.
    :param model: the model backtested, or None for a baseline.
    :param window_name: ``"test"`` when the window is the model's test window, else ``"custom"``.
    :param warnings: what makes the numbers less than out-of-sample (or shorter than asked).
    :param execution: the subject's decisions replayed under a non-default execution policy (e.g.
        ``maker_first``), to set beside ``subject`` (taker); None when only taker was asked for.
    """

    key: SeriesKey
    subject: BacktestResult
    baselines: dict[str, BacktestResult]
    start_row: int
    end_row: int
    data: MarketData
    model: ModelRef | None = None
    window_name: str = "custom"
    warnings: tuple[str, ...] = field(default=())
    execution: BacktestResult | None = None

    @property
    def start_ms(self) -> int:
        """First decision time (close of the first decision candle), ms UTC."""
        return int(self.subject.times_ms[0])

    @property
    def end_ms(self) -> int:
        """Close of the candle marking the last decision, ms UTC."""
        return int(self.subject.times_ms[-1])

    def as_json(self) -> dict[str, Any]:
        """``{"model": {...}, "baselines": {name: {...}}, "window": {...}, "model_uri": ...}``; non-finite
        values (e.g. a profit factor with no losing trade) become null."""
        return {
            "model": _finite(self.subject.metrics),
            "baselines": {name: _finite(result.metrics) for name, result in self.baselines.items()},
            "window": {
                "name": self.window_name,
                "start_ms": self.start_ms,
                "end_ms": self.end_ms,
                "start": format_ms(self.start_ms),
                "end": format_ms(self.end_ms),
                "decisions": self.end_row - self.start_row,
            },
            "subject": self.subject.name,
            "model_uri": None if self.model is None else self.model.uri,
            "warnings": list(self.warnings),
            "execution": None if self.execution is None else execution_json(self.subject, self.execution),
        }


def execution_json(taker: BacktestResult, other: BacktestResult) -> dict[str, Any]:
    """The same decisions under taker and under another policy: fees, fills, missed orders and results."""

    def one(result: BacktestResult) -> dict[str, Any]:
        fills = result.fills
        return {
            "costs_quote": result.metrics["costs_quote"],
            "total_return": result.metrics["total_return"],
            "sharpe": _finite(result.metrics)["sharpe"],
            "max_drawdown": result.metrics["max_drawdown"],
            "orders": None if fills is None else fills.orders,
            "maker_fills": None if fills is None else fills.maker_fills,
            "taker_fills": None if fills is None else fills.taker_fills,
            "missed_orders": None if fills is None else fills.missed,
            "maker_fees_saved_quote": None if fills is None else fills.maker_fees_saved_quote,
        }

    return {
        "taker": one(taker),
        "policy": one(other),
        "fees_saved_quote": taker.metrics["costs_quote"] - other.metrics["costs_quote"],
    }


def _finite(metrics: dict[str, float]) -> dict[str, float | None]:
    return {key: (float(value) if math.isfinite(value) else None) for key, value in metrics.items()}


def load_market_data(settings: Settings, key: SeriesKey, start_ms: int | None, end_ms: int | None) -> MarketData:
    """Arrays for decisions in ``[start_ms, end_ms)`` with the features' warm-up before ``start_ms``.

    Candles are read from ``start_ms`` minus twice the lookback (in time, so a few missing candles
    before the window still leave a full warm-up) to ``end_ms``.
    """
    from huracan.features.candles import CandleFrameError
    from huracan.trading.market_data import MarketData

    tf = Timeframe.parse(key.timeframe)
    read_from = None if start_ms is None else start_ms - (2 * LOOKBACK_ROWS + 1) * tf.ms
    candles = CandleStore.open(settings.store_url).read(key, read_from, end_ms)
    if candles.empty:
        raise NoDataError(f"no candles stored for {key} between {format_ms(read_from)} and {format_ms(end_ms)}")
    try:
        return MarketData.from_candles(candles, tf)
    except CandleFrameError as exc:
        raise NoDataError(f"{key} between {format_ms(read_from)} and {format_ms(end_ms)}: {exc}") from exc


def decision_rows(data: MarketData, start_ms: int | None, end_ms: int | None) -> tuple[int, int]:
    """Decision rows ``[start_row, end_row)`` of ``data`` in the window; :class:`NoDataError` if none."""
    from huracan.trading.backtest import window_rows

    try:
        return window_rows(data, start_ms, end_ms)
    except ValueError as exc:
        raise NoDataError(f"no decision in {format_ms(start_ms)} .. {format_ms(end_ms)}: {exc}") from exc


def backtest_model(
    data: MarketData,
    ref: ModelRef,
    start_row: int,
    end_row: int,
    env_config: EnvConfig | None = None,
    policy: Decider | None = None,
) -> BacktestResult:
    """Replay the model of ``ref`` (or the already loaded ``policy``) on decision rows ``[start_row, end_row)``."""
    from huracan.registry.models import load_policy
    from huracan.rl.batch_policy import policy_action_table
    from huracan.rl.train import configure_torch
    from huracan.trading.backtest import replay

    configure_torch()
    decider = load_policy(ref) if policy is None else policy
    table = policy_action_table(decider, data.features, start_row, end_row)
    return replay(data, table, start_row, end_row, env_config or ref.env_config(), name="model")


def evaluate(
    settings: Settings,
    client: MlflowClient | None,
    symbol: str,
    timeframe: Timeframe,
    model: str | None = None,
    baseline: str | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
    execution: ExecutionPolicy | None = None,
) -> Evaluation:
    """Backtest a model (default: the ``challenger``, else the ``champion``) or, with ``baseline``, that
    baseline alone, plus every baseline, on one window.

    :param client: MLflow client (needed unless ``baseline`` is given).
    :param model: see :func:`huracan.registry.models.resolve`.
    :param baseline: a name of :data:`huracan.trading.baselines.BASELINE_NAMES` to backtest instead
        of a model; the window then defaults to the whole stored range.
    :param start_ms: window start (decision times, ms UTC); None: the model's test window start.
    :param end_ms: window end, excluded; None: the model's test window end.
    :param execution: also replay the subject's decisions under this policy (taker stays the subject's
        and the baselines' policy, as trained); None or taker: no second replay.
    """
    from huracan.registry.models import resolve
    from huracan.trading.baselines import BASELINE_NAMES, run_baselines
    from huracan.trading.config import EnvConfig

    key = SeriesKey(settings.exchange, symbol, timeframe.name)
    if start_ms is not None and end_ms is not None and start_ms >= end_ms:
        raise ConfigError(f"the window start {format_ms(start_ms)} is not before its end {format_ms(end_ms)}")
    ref = None
    warnings: list[str] = []
    if baseline is not None:
        if model is not None:
            raise ConfigError("give either a model or a baseline to backtest, not both")
        if baseline not in BASELINE_NAMES:
            raise ConfigError(f"unknown baseline {baseline!r}; choose one of {', '.join(BASELINE_NAMES)}")
        env_config = EnvConfig()
        window_name = "custom"
    else:
        if client is None:
            raise ConfigError("backtesting a model needs an MLflow client")
        ref = resolve(client, model_name(symbol, timeframe), model)
        env_config = ref.env_config()
        test = ref.window("test")
        window_name = "test" if start_ms in (None, test.start_ms) and end_ms in (None, test.end_ms) else "custom"
        start_ms = test.start_ms if start_ms is None else start_ms
        end_ms = test.end_ms if end_ms is None else end_ms
        seen = ref.window("validation").end_ms
        if start_ms < seen:
            warnings.append(
                f"the window starts before {format_ms(seen)}, the end of the model's validation window: "
                "part of it was trained on or used for selection, so the numbers are in-sample"
            )
    data = load_market_data(settings, key, start_ms, end_ms)
    start_row, end_row = decision_rows(data, start_ms, end_ms)
    if data.open_time_ms is not None and start_ms is not None:
        first_decision = int(data.open_time_ms[start_row]) + timeframe.ms
        if start_row == data.first_row and first_decision > start_ms + timeframe.ms:
            warnings.append(
                f"not enough candles before {format_ms(start_ms)} for the warm-up; "
                f"the window starts at {format_ms(first_decision)}"
            )
    baselines = run_baselines(data, start_row, end_row, env_config)
    # ref is None exactly when a baseline is the subject
    subject = baselines[str(baseline)] if ref is None else backtest_model(data, ref, start_row, end_row, env_config)
    other = None
    if execution is not None and execution.kind != "taker":
        from huracan.trading.backtest import replay_levels

        other = replay_levels(data, subject.levels, start_row, env_config, subject.name, execution)
    return Evaluation(key, subject, baselines, start_row, end_row, data, ref, window_name, tuple(warnings), other)


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y%m%d")


def plot_path(settings: Settings, evaluation: Evaluation) -> Path:
    """Where the equity plot of ``evaluation`` is written: ``HURACAN_HOME/reports/backtests/...png``."""
    ref = evaluation.model
    if ref is None:
        who = evaluation.subject.name
    else:
        who = f"v{ref.version}" if ref.version else ref.run_id[:12]
    folder = model_name(evaluation.key.symbol, evaluation.key.timeframe)
    file = f"{who}_{_day(evaluation.start_ms)}_{_day(evaluation.end_ms)}.png"
    return settings.home / "reports" / "backtests" / folder / file


def write_plot(settings: Settings, evaluation: Evaluation) -> Path:
    """Draw the subject and the baselines (equity and drawdown) to :func:`plot_path`."""
    from huracan.trading.plot import plot_equity

    ref = evaluation.model
    title = (
        f"{evaluation.key} - {ref.label if ref else evaluation.subject.name} - "
        f"{format_ms(evaluation.start_ms)} .. {format_ms(evaluation.end_ms)} ({evaluation.window_name} window)"
    )
    others = [result for name, result in evaluation.baselines.items() if result is not evaluation.subject]
    return plot_equity([evaluation.subject, *others], plot_path(settings, evaluation), title)


def metric_prefix(evaluation: Evaluation) -> str:
    """``backtest/`` for the model's test window, ``backtest/window_<start>_<end>/`` otherwise."""
    if evaluation.window_name == "test":
        return BACKTEST_PREFIX
    return f"{BACKTEST_PREFIX}window_{_day(evaluation.start_ms)}_{_day(evaluation.end_ms)}/"


def log_evaluation(client: MlflowClient, evaluation: Evaluation, plot: Path | None) -> None:
    """Log a model's evaluation to its training run (metrics, window tags, the plot)."""
    from huracan.registry.metrics import log_metrics

    ref = evaluation.model
    if ref is None:
        raise ValueError("only a model's evaluation is logged; a baseline alone has no run")
    prefix = metric_prefix(evaluation)
    values = {backtest_key(key, prefix=prefix): value for key, value in evaluation.subject.metrics.items()}
    for name, result in evaluation.baselines.items():
        values.update({backtest_key(key, name, prefix): value for key, value in result.metrics.items()})
    log_metrics(client, ref.run_id, values, step=0)
    window = "test" if evaluation.window_name == "test" else prefix.removeprefix(BACKTEST_PREFIX).rstrip("/")
    for tag, value in backtest_window_tags(window, evaluation.start_ms, evaluation.end_ms).items():
        client.set_tag(ref.run_id, tag, value)
    if evaluation.window_name == "test":
        counts = np.bincount(evaluation.subject.levels, minlength=len(EXPOSURE_LEVELS))
        actions = {"counts": counts.tolist(), "start_ms": evaluation.start_ms, "end_ms": evaluation.end_ms}
        client.log_dict(ref.run_id, actions, ACTIONS_ARTIFACT)
    if plot is not None:
        client.log_artifact(ref.run_id, str(plot), artifact_path="backtest")


def backtest_trips(evaluation: Evaluation) -> list[RoundTrip]:
    """The subject's closed round trips on the window (source ``backtest``), from the replay's own fills;
    empty for the random agent (an aggregate of seeds, no fills of its own)."""
    from huracan.memory.backtest_trips import backtest_round_trips

    if evaluation.subject.fill_path is None:
        return []
    ref = evaluation.model
    return backtest_round_trips(
        evaluation.subject,
        evaluation.data,
        evaluation.key.symbol,
        model_name=None if ref is None else ref.name,
        model_version=None if ref is None else ref.version,
        run_id=None if ref is None else ref.run_id,
    )


def trades_of_backtest(
    settings: Settings, client: MlflowClient | None, evaluation: Evaluation, record: bool
) -> list[RoundTrip]:
    """The subject's round trips (:func:`backtest_trips`): stored in the trade memory when ``record``
    (idempotent: once per account and entry time), and their analysis logged to the model's run
    (:func:`log_trade_analysis`) when ``client`` is given and the subject is a model."""
    from huracan.memory.store import TradeMemory

    trips = backtest_trips(evaluation)
    if record:
        TradeMemory.open(settings.store_url).record(trips)
    if client is not None and evaluation.model is not None:
        log_trade_analysis(client, evaluation, trips)
    return trips


def log_trade_analysis(client: MlflowClient, evaluation: Evaluation, trips: Sequence[RoundTrip]) -> dict[str, Any]:
    """Log the win/loss analysis of ``trips`` (:func:`huracan.memory.analysis.analyze`) to the model's run:
    ``<prefix>trades/trade_analysis.json`` (the whole analysis), ``.../trade_analysis_table.json`` (an
    MLflow table: one row per group) and ``.../trade_analysis.png``, under the metrics' prefix
    (:func:`metric_prefix`); returns the analysis."""
    from huracan.memory.analysis import analyze
    from huracan.memory.plot import analysis_rows, plot_analysis

    ref = evaluation.model
    if ref is None:
        raise ValueError("only a model's evaluation is logged; a baseline alone has no run")
    analysis = analyze(trips)
    folder = f"{metric_prefix(evaluation)}trades"
    client.log_dict(ref.run_id, analysis, f"{folder}/trade_analysis.json")
    client.log_table(ref.run_id, analysis_rows(analysis), f"{folder}/trade_analysis_table.json")
    title = f"{evaluation.key} - {ref.label} - {format_ms(evaluation.start_ms)} .. {format_ms(evaluation.end_ms)}"
    client.log_figure(ref.run_id, plot_analysis(trips, analysis, title), f"{folder}/trade_analysis.png")
    return analysis

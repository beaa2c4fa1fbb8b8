"""The health of every live tick: :func:`monitored` wraps :func:`huracan.live.tick.live_tick`.

After each tick it records one ``tick_health`` row per account (:class:`huracan.health.health_store.HealthStore`,
an upsert: a rerun keeps one row): ``ok`` for each account that decided, with the model watch
(:mod:`huracan.health.watch`) of its model; ``no_model`` for the tick's own account when it had no model to
decide with; and, when the tick raised, ``stale`` (the live data-quality gate's staleness check failed) or
``failed`` for the tick's own account, before the error goes on up. A watch check that crosses its
threshold, where the account's previous ``ok`` tick of the same model did not, raises one drift alert
(:func:`huracan.health.alerts.alert_drift`).

Recording and watching never fail the tick: an error in them is logged.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec

from huracan.errors import DataQualityError, HuracanError
from huracan.execution.exchange import LIVE_ACCOUNT
from huracan.health.alerts import Alert, alert_drift, drift_alert
from huracan.health.health_store import HealthStore, TickHealth, TickStatus
from huracan.health.watch import (
    Thresholds,
    Watch,
    action_frequencies,
    drift_fraction,
    fill_slippage,
    slippage_ratio,
    total_variation,
)
from huracan.redaction import redact
from huracan.risk.manager import PAPER_ACCOUNT
from huracan.series import SeriesKey
from huracan.trading.costs import BUY, SELL

if TYPE_CHECKING:
    import numpy as np
    from mlflow import MlflowClient

    from huracan.config import Settings
    from huracan.live.decisions import Decision
    from huracan.live.tick import TickReport
    from huracan.registry.models import ModelRef
    from huracan.timeframes import Timeframe

log = logging.getLogger(__name__)

P = ParamSpec("P")


def tick_account(mode: str) -> str:
    """The account a tick trades for with its model: ``live`` in live mode, else ``paper``."""
    return LIVE_ACCOUNT if mode == "live" else PAPER_ACCOUNT


def monitored(tick: Callable[P, TickReport]) -> Callable[P, TickReport]:
    """``tick`` (taking ``settings``, ``client``, ``symbol``, ``timeframe`` and ``at_ms`` by those names),
    recording its health (see the module docstring)."""
    signature = inspect.signature(tick)

    @functools.wraps(tick)
    def run(*args: P.args, **kwargs: P.kwargs) -> TickReport:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        given = bound.arguments
        settings, timeframe = given["settings"], given["timeframe"]
        started = time.monotonic()
        try:
            report = tick(*args, **kwargs)
        except Exception as exc:
            duration_ms = int((time.monotonic() - started) * 1000)
            now_ms = given["at_ms"] if given["at_ms"] is not None else int(time.time() * 1000)
            close_ms = timeframe.last_closed_open_ms(now_ms) + timeframe.ms
            _safely(
                record_failure, settings, tick_account(given.get("mode", "paper")), given["symbol"], timeframe.name,
                close_ms, exc, duration_ms,
            )  # fmt: skip
            raise
        duration_ms = int((time.monotonic() - started) * 1000)
        _safely(record_tick, settings, given["client"], report, timeframe, duration_ms)
        return report

    return run


def _safely(record: Callable[..., None], *args: Any) -> None:
    try:
        record(*args)
    except Exception as exc:  # the health record must never fail the tick it describes
        log.error("tick health not recorded: %s", redact(str(exc)))


def record_failure(
    settings: Settings, account: str, symbol: str, timeframe: str, close_ms: int, exc: Exception, ms: int
) -> None:
    """Record the tick of ``close_ms`` as ``stale`` or ``failed`` by ``exc`` for the tick's own ``account``."""
    report = exc.report if isinstance(exc, DataQualityError) else None
    status = TickStatus.STALE if report is not None and "staleness" in report.failures else TickStatus.FAILED
    message = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
    health = TickHealth(
        account,
        symbol,
        timeframe,
        close_ms,
        status,
        ms,
        None if report is None else report.summary(),
        redact(message),
        None,
        None,
        Watch(),
        int(time.time() * 1000),
    )
    HealthStore.open(settings.store_url).record(health)
    log.info("tick %s %s @%d: %s", symbol, timeframe, close_ms, status.value)


def record_tick(
    settings: Settings, client: MlflowClient, report: TickReport, timeframe: Timeframe, duration_ms: int
) -> None:
    """Record each account's health row of a tick that ran, and alert the watch checks newly crossed."""
    store = HealthStore.open(settings.store_url)
    recorded_ms = int(time.time() * 1000)
    quality = report.validation.summary()
    own = tick_account(report.mode)
    if own not in report.steps and report.note:
        row = TickHealth(
            own, report.symbol, report.timeframe, report.decision_ms, TickStatus.NO_MODEL, duration_ms, quality,
            None, None, None, Watch(), recorded_ms,
        )  # fmt: skip
        store.record(row)
    thresholds = Thresholds.from_settings(settings)
    key = SeriesKey(settings.exchange, report.symbol, report.timeframe)
    market_row = _decision_features(settings, key, timeframe, report.decision_ms) if report.steps else None
    alerts: list[Alert] = []
    for account, stepped in report.steps.items():
        decision = stepped.decision
        watch = Watch()
        if settings.watch_enabled and decision.model_name and decision.model_version and market_row is not None:
            watch = watch_model(settings, client, key, timeframe, decision, market_row)
        row = TickHealth(
            account, report.symbol, report.timeframe, report.decision_ms, TickStatus.OK, duration_ms, quality,
            None, decision.model_name, decision.model_version, watch, recorded_ms,
        )  # fmt: skip
        store.record(row)
        alerts.extend(_new_crossings(store, row, thresholds))
    alert_drift(settings, alerts)


def _new_crossings(store: HealthStore, row: TickHealth, thresholds: Thresholds) -> list[Alert]:
    crossed = row.watch.crossed(thresholds)
    if not crossed:
        return []
    before = store.previous_ok(row.account, row.symbol, row.timeframe, row.decision_ms)
    ongoing = (
        before.watch.crossed(thresholds) if before is not None and before.model_version == row.model_version else {}
    )
    model = f"{row.model_name} v{row.model_version}"
    return [
        drift_alert(row.account, row.symbol, row.timeframe, model, check, row.decision_ms, detail)
        for check, detail in crossed.items()
        if check not in ongoing
    ]


def _decision_features(settings: Settings, key: SeriesKey, timeframe: Timeframe, close_ms: int) -> np.ndarray:
    """The 77 market features of the decision candle (closing at ``close_ms``), from the store's candles."""
    from huracan.data.candle_store import CandleStore
    from huracan.features.catalog import LOOKBACK_ROWS
    from huracan.features.market import build_market_features

    open_ms = close_ms - timeframe.ms
    frame = CandleStore.open(settings.store_url).read(key, open_ms - LOOKBACK_ROWS * timeframe.ms, open_ms)
    return build_market_features(frame.iloc[-LOOKBACK_ROWS:], timeframe)[-1]


def watch_model(
    settings: Settings,
    client: MlflowClient,
    key: SeriesKey,
    timeframe: Timeframe,
    decision: Decision,
    market_row: np.ndarray,
) -> Watch:
    """The watch of ``decision``'s model on its account at its tick (``market_row``: the tick's 77 market
    features); a measurement whose inputs are missing is None."""
    from huracan.health.model_reference import backtest_frequencies, training_range
    from huracan.live.decisions import DecisionStore
    from huracan.registry.models import version_ref

    try:
        ref = version_ref(client, str(decision.model_name), str(decision.model_version))
    except HuracanError as exc:
        log.warning("no model watch for %s v%s: %s", decision.model_name, decision.model_version, exc)
        return Watch()
    since_ms = decision.decision_ms - (settings.watch_window_candles - 1) * timeframe.ms
    history = DecisionStore.open(settings.store_url).history(decision.account, key.symbol, key.timeframe, since_ms)
    actions = [d.action for d in history if d.model_version == decision.model_version and d.action is not None]
    backtest = backtest_frequencies(client, ref)
    action_tv = None
    if backtest is not None and len(actions) >= settings.watch_min_decisions:
        action_tv = total_variation(action_frequencies(actions), backtest)
    trained = training_range(settings, client, ref, key)
    drift = None if trained is None else drift_fraction(market_row, trained.low, trained.high)
    fills, ratio = _slippage(settings, ref, key, timeframe, decision.account)
    return Watch(len(actions), action_tv, drift, fills, ratio)


def _slippage(
    settings: Settings, ref: ModelRef, key: SeriesKey, timeframe: Timeframe, account: str
) -> tuple[int, float | None]:
    """How many of the account's last taker fills were compared, and their realised over expected slippage
    under the cost model the model was trained with."""
    from huracan.data.candle_store import CandleStore
    from huracan.execution.store import ExecutionStore
    from huracan.risk.intent import Side

    store = ExecutionStore.open(settings.store_url)
    with store.transaction() as connection:
        taken = [fill for fill in store.fills(connection, account, key.symbol) if not fill.maker]
    taken = taken[-settings.watch_fills :]
    if not taken:
        return 0, None
    # the base volume of the last candle closed before each fill, which the cost model sizes its impact on
    opens = [timeframe.last_closed_open_ms(fill.ts_ms) for fill in taken]
    candles = CandleStore.open(settings.store_url).read(key, min(opens), max(opens))
    volumes = {int(ts.value // 1_000_000): float(v) for ts, v in candles.volume.items()}
    costs = ref.env_config().costs
    samples = [
        fill_slippage(
            costs,
            BUY if fill.side is Side.BUY else SELL,
            fill.qty_base,
            fill.price_quote,
            fill.reference_quote,
            volumes[open_ms],
        )
        for fill, open_ms in zip(taken, opens, strict=True)
        if open_ms in volumes
    ]
    return len(samples), slippage_ratio(samples)

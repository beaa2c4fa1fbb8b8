"""One live tick for one symbol: what ``huracan live-step`` and the live DAG's task run at a candle close.

1. **Sync** the latest closed candles with the training DAG's sync (:class:`huracan.data.sync.CandleSync`);
   "now" is ``at_ms`` or the exchange's clock, and the decision candle is the last one closed by then
   (after downtime: the latest candle only; missed ones are settled, never decided on).
2. **Validate for live use** (:func:`huracan.quality.gate.validate_series`, purpose ``live``, staleness
   critical) on the candles the observation needs; a failure stops the tick with the gate's report
   (:class:`~huracan.errors.DataQualityError`) before anything is decided.
3. **Decide** with the model (default the ``champion``, loaded from MLflow by alias and cached by
   version) through :func:`huracan.live.step.step` on its account (``paper``; ``live`` in live mode):
   settle, observe, the observation from the one builder on just enough candles, risk gate, order,
   record. No champion yet: the tick records that for that account and decides nothing there.
4. **Shadow**: the ``challenger``, when there is one and ``shadow`` is on, decides on the same candle for
   its own paper account ``shadow:<name>/<version>`` — also when there is no champion yet.

Its health (status, duration, data quality, the model watch) is recorded per account by
:func:`huracan.live.monitor.monitored`. Every part is idempotent: a rerun of the same symbol and candle finds its decisions recorded and changes
nothing.

**Mode.** ``paper`` (the default): the champion's account is ``paper`` on the paper broker. ``live``: the
champion's account is ``live`` on the exchange broker (:class:`~huracan.execution.exchange.ExchangeBroker`,
real orders through ccxt, the same risk manager); it needs ``HURACAN_LIVE_TRADING=true`` and keys
(:func:`~huracan.execution.live_mode.require_live_mode`) and the champion (another ``model`` is refused:
:func:`~huracan.execution.live_mode.require_live_model`), and it is refused before anything is synced.
The shadow account stays on paper. A live tick first **reconciles** the symbol (the store's open orders
and the book's position against the exchange's orders and balance of the base asset); a mismatch halts
the book, alerts (:func:`~huracan.health.alerts.alert_reconciliation`) and stops the tick with
:class:`~huracan.errors.ReconciliationError` before any account decides. Candles missed during
downtime are settled on paper only: on the exchange they happened for real and the step reads the fills.
A live tick for a candle that is no longer the exchange's latest closed one (a late retry, ``at_ms`` in the
past) sends nothing and raises :class:`~huracan.errors.LateTickError`, unless it is a rerun of a recorded decision.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from huracan.data.candle_store import CandleStore, SeriesKey
from huracan.data.sync import CandleSync
from huracan.errors import ConfigError, LateTickError, NoDataError, ReconciliationError
from huracan.execution.broker import Broker
from huracan.execution.exchange import ExchangeBroker
from huracan.execution.live_mode import MODES, require_live_model
from huracan.execution.paper import PaperBroker
from huracan.features.catalog import LOOKBACK_ROWS
from huracan.health.alerts import alert_reconciliation, alert_stale, alert_tick
from huracan.live.decisions import Decision, DecisionStore
from huracan.live.monitor import monitored
from huracan.live.shadow import shadow_account
from huracan.live.step import Model, Stepped, step
from huracan.market.client import MarketClient

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from huracan.config import Settings
    from huracan.quality.report import QualityReport
    from huracan.registry.models import ModelRef
    from huracan.rl.batch_policy import Decider
    from huracan.timeframes import Timeframe

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TickReport:
    """What a tick did.

    :param symbol: the symbol.
    :param timeframe: its timeframe.
    :param decision_ms: close of the decision candle, ms UTC.
    :param validation: the live data-quality report of the candles it used.
    :param steps: the account id of each model that decided (``paper``, ``shadow:...``) and its step.
    :param note: why nothing was decided (e.g. no champion), else empty.
    :param mode: ``paper`` or ``live`` (the champion's account on the exchange).
    """

    symbol: str
    timeframe: str
    decision_ms: int
    validation: QualityReport
    steps: dict[str, Stepped] = field(default_factory=dict)
    note: str = ""
    mode: str = "paper"

    def as_json(self) -> dict[str, Any]:
        """The tick as JSON: each account's decision, fills and whether it was new."""
        from huracan.clock import iso_ms

        return {
            "symbol": self.symbol,
            "timeframe": self.timeframe,
            "mode": self.mode,
            "decision_ms": self.decision_ms,
            "decision": iso_ms(self.decision_ms),
            "validation": self.validation.summary(),
            "note": self.note,
            "accounts": {
                account: {
                    "decision": stepped.decision.as_json(),
                    "fills": [fill.as_json() for fill in stepped.fills],
                    "new": stepped.new,
                }
                for account, stepped in self.steps.items()
            },
        }


_POLICIES: dict[str, Decider] = {}
"""Loaded policies by model URI (``models:/<name>/<version>``): a registered version never changes, so a
tick loads each version once per process and picks up a new champion at the next tick."""


def _policy(ref: ModelRef) -> Decider:
    from huracan.registry.models import load_policy

    if ref.uri not in _POLICIES:
        _POLICIES[ref.uri] = load_policy(ref)
    return _POLICIES[ref.uri]


def _model(client: MlflowClient, name: str, which: str) -> ModelRef | None:
    from huracan.registry.models import alias_ref, resolve

    if which in ("champion", "challenger"):
        return alias_ref(client, name, which)
    return resolve(client, name, which)


def champion_broker(settings: Settings, mode: str, model: str) -> Broker:
    """The broker of the deciding model's account: the paper broker (``paper``), or in live mode the exchange
    broker (``live``), which needs the live-trading setting, keys and ``model`` being the champion."""
    if mode not in MODES:
        raise ConfigError(f"mode must be paper or live, got {mode!r}")
    if mode == "paper":
        return PaperBroker.from_settings(settings)
    require_live_model(model)
    return ExchangeBroker.from_settings(settings)


@monitored  # records the tick's health (ok, no_model, stale, failed) per account and watches the model
def live_tick(
    settings: Settings,
    client: MlflowClient,
    symbol: str,
    timeframe: Timeframe,
    at_ms: int | None = None,
    model: str = "champion",
    shadow: bool = True,
    mode: str = "paper",
) -> TickReport:
    """Run one tick (see the module docstring); returns what it did.

    :param at_ms: the tick's time, ms UTC (default: the exchange's clock); the decision candle is the last
        one closed by then.
    :param model: ``champion`` (default), ``challenger`` or a version; all but the champion trade on paper.
    :param shadow: also let the challenger decide for its shadow account.
    :param mode: ``paper`` (default) or ``live`` (the champion on the exchange).
    :raises LiveTradingOff: live mode without the live-trading setting and keys, or not for the champion.
    :raises DataQualityError: the candles failed the live gate (the report says what failed).
    :raises LateTickError: live mode, and the tick's candle is no longer the exchange's latest closed one.
    :raises ReconciliationError: live mode, and the exchange and the store disagree about the symbol.
    """
    from huracan.quality.gate import validate_series
    from huracan.registry.naming import model_name
    from huracan.rl.train import configure_torch

    deciding = champion_broker(settings, mode, model)  # live mode is refused here, before anything is synced
    market = MarketClient.from_settings(settings)
    store = CandleStore.open(settings.store_url)
    syncer = CandleSync(market, store)
    now_ms = syncer.now_ms if at_ms is None else at_ms
    decision_open_ms = timeframe.last_closed_open_ms(now_ms)
    # the live gate's rows (at least the observation's lookback), and the candle before them
    rows = max(settings.quality_min_rows_live, LOOKBACK_ROWS + 1)
    first_ms = decision_open_ms - rows * timeframe.ms
    # a tail the exchange does not have yet is left to the live gate, whose staleness check reports it
    syncer.sync(symbol, timeframe, since_ms=first_ms, until_ms=decision_open_ms)
    key = SeriesKey(market.exchange_id, symbol, timeframe.name)
    validation = validate_series(
        settings,
        key,
        start_ms=decision_open_ms - (rows - 1) * timeframe.ms,
        end_ms=decision_open_ms,
        purpose="live",
        as_of_ms=now_ms,
        data_docs=False,
    )
    alert_stale(settings, validation)
    validation.raise_if_failed()
    frame = store.read(key, first_ms, decision_open_ms)
    if len(frame) < LOOKBACK_ROWS + 1 or int(frame.index[-1].value // 1_000_000) != decision_open_ms:
        raise NoDataError(f"{key}: {len(frame)} candles up to {decision_open_ms}; a tick needs {LOOKBACK_ROWS + 1}")
    close_ms = decision_open_ms + timeframe.ms
    decisions = DecisionStore.open(settings.store_url)
    name = model_name(symbol, timeframe)
    chosen = _model(client, name, model)
    accounts: list[tuple[Broker, ModelRef, str]] = []
    note = ""
    if chosen is None:
        note = f"no {model} for {name} yet: nothing decided (the training DAG's promotion gate makes one)"
        decisions.record(_nothing(deciding.account, symbol, timeframe.name, close_ms, model, note))
        log.info("%s", note)
    else:
        accounts.append((deciding, chosen, model if model in ("champion", "challenger") else "version"))
    if shadow and model == "champion":
        challenger = _model(client, name, "challenger")
        if challenger is not None:
            shadow_id = shadow_account(str(challenger.name), str(challenger.version))
            accounts.append((PaperBroker.from_settings(settings, shadow_id), challenger, "challenger"))
    if isinstance(deciding, ExchangeBroker) and chosen is not None:
        _require_latest(decisions, deciding.account, key, timeframe, decision_open_ms, syncer.now_ms)
    report = TickReport(symbol, timeframe.name, close_ms, validation, note=note, mode=mode)
    if not accounts:
        return report
    configure_torch()
    market_row, bar, prev_volume = _latest(frame, timeframe)
    try:
        if isinstance(deciding, ExchangeBroker) and chosen is not None:  # before any account decides
            deciding.reconcile(symbol, close_ms)
        for broker, ref, role in accounts:
            if isinstance(broker, PaperBroker):
                _settle_missed(broker, symbol, frame, timeframe)
            who = Model(role, ref.name, ref.version, ref.uri, _policy(ref))
            report.steps[broker.account] = step(
                broker, decisions, who, symbol, timeframe.name, market_row, bar, prev_volume, close_ms
            )
    except ReconciliationError as exc:
        alert_reconciliation(settings, str(exc))
        raise
    alert_tick(settings, [broker.account for broker, _, _ in accounts])
    return report


def _require_latest(
    decisions: DecisionStore, account: str, key: SeriesKey, timeframe: Timeframe, open_ms: int, exchange_now_ms: int
) -> None:
    """Raise :class:`LateTickError` unless the candle opened at ``open_ms`` is the last one closed by the
    exchange's clock ``exchange_now_ms`` (ms UTC), or ``account`` has decided on it already (a rerun, which
    changes nothing): a real order is never sent on a candle that is no longer the latest."""
    from huracan.clock import iso_ms

    latest_ms = timeframe.last_closed_open_ms(exchange_now_ms)
    if latest_ms != open_ms and decisions.get(account, key.symbol, key.timeframe, open_ms + timeframe.ms) is None:
        raise LateTickError(
            f"{key}: live mode decides on the latest closed candle only; the tick's candle opened "
            f"{iso_ms(open_ms)}, the exchange's latest at {iso_ms(latest_ms)} (its clock {iso_ms(exchange_now_ms)}): "
            "nothing sent, the next tick decides"
        )


def _latest(frame: Any, timeframe: Timeframe) -> tuple[Any, Any, float]:
    """The decision row's 77 market features (built on just the lookback), its candle and the volume before."""
    from huracan.execution.paper import Bar
    from huracan.features.market import build_market_features

    market_row = build_market_features(frame.iloc[-LOOKBACK_ROWS:], timeframe)[-1]
    return market_row, Bar.of_frame(frame, -1), float(frame.volume.iloc[-2])


def _settle_missed(broker: PaperBroker, symbol: str, frame: Any, timeframe: Timeframe) -> None:
    """After downtime, let working orders go through the candles between the book's last mark and the
    decision candle (exclusive), in order, as they would have; nothing is decided on them."""
    from huracan.execution.paper import Bar

    book = broker.book(symbol)
    if book is None or book.mark_ms is None:
        return
    opens = [int(ts.value // 1_000_000) for ts in frame.index]
    for i in range(1, len(opens) - 1):
        close_ms = opens[i] + timeframe.ms
        if close_ms > book.mark_ms:
            broker.settle(symbol, Bar.of_frame(frame, i), float(frame.volume.iloc[i - 1]), close_ms)


def _nothing(account: str, symbol: str, timeframe: str, close_ms: int, role: str, note: str) -> Decision:
    return Decision(
        account,
        symbol,
        timeframe,
        close_ms,
        role,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        "",
        note,
        None,
        close_ms,
    )

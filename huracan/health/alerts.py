"""Alerts: one notifier built on Apprise, so one setting (``HURACAN_ALERT_URLS``) picks Telegram, Slack,
Discord, e-mail or a plain JSON webhook.

Every alert goes to the log. It is sent once per event: its dedupe key (kind and what identifies the event,
e.g. the account and the time of a risk-state change) is claimed in the store's ``alerts`` table before it
is sent, so a retried task or a second tick over the same event sends nothing. Text is redacted
(:func:`huracan.redaction.redact`) and the URLs themselves are never logged. A receiver that is down is
logged; it never fails the caller.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, insert, update
from sqlalchemy.exc import IntegrityError

from huracan.config import Settings
from huracan.data.db import open_engine
from huracan.data.schema import alerts
from huracan.quality.report import QualityReport
from huracan.redaction import redact
from huracan.risk.reasons import ReasonCode
from huracan.risk.state import StateChange, TradingState

log = logging.getLogger(__name__)


class AlertKind(enum.Enum):
    BREAKER_TRIP = "breaker_trip"
    DAILY_LOSS_LIMIT = "daily_loss_limit"
    PROFIT_TARGET = "profit_target"
    FAILED_TICK = "failed_tick"
    FAILED_TASK = "failed_task"
    STALE_DATA = "stale_data"
    RECONCILIATION_MISMATCH = "reconciliation_mismatch"
    CHAMPION_CHANGE = "champion_change"
    DRIFT = "drift"


@dataclass(frozen=True)
class Alert:
    """One event to tell a human about. ``event`` identifies it (same event, same text: sent once)."""

    kind: AlertKind
    event: str
    title: str
    body: str

    @property
    def dedupe_key(self) -> str:
        return f"{self.kind.value}:{self.event}"[:200]


def parse_urls(value: str | None) -> list[str]:
    """The Apprise URLs of a comma-separated setting, blanks dropped."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class Notifier:
    """Sends :class:`Alert` s to ``urls`` (Apprise URLs) once each, recording them in the store of ``engine``."""

    def __init__(self, engine: Engine, urls: Sequence[str] = ()) -> None:
        self.engine = engine
        self.urls = list(urls)

    @classmethod
    def from_settings(cls, settings: Settings) -> Notifier:
        secret = settings.alert_urls.get_secret_value() if settings.alert_urls is not None else None
        return cls(open_engine(settings.store_url), parse_urls(secret))

    def send(self, alert: Alert) -> bool:
        """Log ``alert`` and send it, unless its event was alerted before; True when this call raised it."""
        title, body = redact(alert.title), redact(alert.body)
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(alerts).values(
                        dedupe_key=alert.dedupe_key,
                        kind=alert.kind.value,
                        title=title,
                        body=body,
                        created_ms=int(time.time() * 1000),
                        delivered=None,
                    )
                )
        except IntegrityError:
            log.info("alert %s already raised: not sent again", alert.dedupe_key)
            return False
        log.warning("ALERT %s: %s: %s", alert.kind.value, title, body)
        if self.urls:
            delivered = self._deliver(title, body)
            with self.engine.begin() as connection:
                connection.execute(
                    update(alerts).where(alerts.c.dedupe_key == alert.dedupe_key).values(delivered=delivered)
                )
        return True

    def _deliver(self, title: str, body: str) -> bool:
        import apprise

        try:
            notifier = apprise.Apprise()
            for url in self.urls:
                if not notifier.add(url):
                    log.error(
                        "alert URL #%d of HURACAN_ALERT_URLS is not an Apprise URL: skipped", self.urls.index(url) + 1
                    )
            delivered = bool(notifier.notify(title=title, body=body))
        except Exception as exc:  # a notifier must never fail the tick or the task it reports on
            log.error("alert not delivered: %s", redact(str(exc)))
            return False
        if not delivered:
            log.error("alert not delivered to every URL of HURACAN_ALERT_URLS (see Apprise's log)")
        return delivered


def risk_alert(change: StateChange) -> Alert | None:
    """The alert of a risk-state change (breaker trip, daily loss limit, profit target), or None."""
    kinds = {
        ReasonCode.BREAKER: AlertKind.BREAKER_TRIP,
        ReasonCode.DAILY_LOSS_LIMIT: AlertKind.DAILY_LOSS_LIMIT,
        ReasonCode.DAILY_PROFIT_TARGET: AlertKind.PROFIT_TARGET,
    }
    kind = kinds.get(change.code)
    if kind is None or change.to_state is TradingState.ACTIVE:
        return None
    return Alert(
        kind,
        f"{change.account}@{change.at_ms}",
        f"{kind.value.replace('_', ' ')}: account {change.account} {change.to_state.value.upper()}",
        change.message,
    )


def alert_risk_changes(notifier: Notifier, changes: Iterable[StateChange]) -> int:
    """Alert every breaker trip, daily loss limit and profit target among ``changes``; how many were new."""
    sent = 0
    for change in changes:
        alert = risk_alert(change)
        if alert is not None and notifier.send(alert):
            sent += 1
    return sent


def stale_alert(report: QualityReport) -> Alert | None:
    """The alert of a live data-quality report whose staleness check failed, or None. One per series and
    decision candle (``report.end_ms``), so the retries of a tick send it once."""
    if "staleness" not in report.failures:
        return None
    return Alert(AlertKind.STALE_DATA, f"{report.key}@{report.end_ms}", f"stale data: {report.key}", report.summary())


def task_failure_alert(dag_id: str, run_id: str, task_id: str, map_index: int, error: str) -> Alert:
    """The alert of a task that failed for good (after its retries): a failed tick for the live DAG's
    ``tick``, a failed task otherwise. One per task instance."""
    kind = AlertKind.FAILED_TICK if (dag_id, task_id) == ("huracan_live", "tick") else AlertKind.FAILED_TASK
    where = f"{dag_id}.{task_id}" + (f"[{map_index}]" if map_index >= 0 else "")
    return Alert(kind, f"{dag_id}/{run_id}/{task_id}/{map_index}", f"{kind.value.replace('_', ' ')}: {where}", error)


def notify_safely(settings: Settings, make: Callable[[Notifier], object]) -> None:
    """Run ``make`` with the configured notifier; any error is logged, never raised (alerts never fail the
    tick or task that raises them)."""
    try:
        make(Notifier.from_settings(settings))
    except Exception as exc:  # the store or Apprise failing must not fail what reports on it
        log.error("alerting failed: %s", redact(str(exc)))


def alert_tick(settings: Settings, accounts: Iterable[str]) -> None:
    """After a live tick: alert the new risk-state changes of ``accounts`` (their last 10 each)."""
    from huracan.risk.store import RiskStore

    def send(notifier: Notifier) -> None:
        store = RiskStore.open(settings.store_url)
        for account in accounts:
            alert_risk_changes(notifier, store.events(account, 10))

    notify_safely(settings, send)


def alert_stale(settings: Settings, report: QualityReport) -> None:
    """Before a live tick gives up on its candles: alert when they are stale."""
    alert = stale_alert(report)
    if alert is not None:
        notify_safely(settings, lambda notifier: notifier.send(alert))


def alert_champion_change(settings: Settings, name: str, version: str, previous: str | None, reason: str) -> None:
    """After a promotion or a rollback: alert that ``name`` v``version`` is the champion in place of
    v``previous`` (once per change: a retried promotion sends nothing more)."""
    before = f"replacing v{previous}" if previous is not None else "its first champion"
    event = f"{name}/{version}<-{previous or 'none'}"
    alert = Alert(AlertKind.CHAMPION_CHANGE, event, f"champion change: {name} v{version}", f"{before}: {reason}")
    notify_safely(settings, lambda notifier: notifier.send(alert))


def alert_reconciliation(settings: Settings, message: str) -> None:
    """A reconciliation mismatch (the exchange broker's error ``message``, which names the symbol, account
    and what differs): alerted once per mismatch, whether it was just found or found halted before."""
    event = message.replace(" is halted: ", " halted: ")
    alert = Alert(AlertKind.RECONCILIATION_MISMATCH, event, "reconciliation mismatch", message)
    notify_safely(settings, lambda notifier: notifier.send(alert))


def drift_alert(account: str, symbol: str, timeframe: str, model: str, check: str, since_ms: int, detail: str) -> Alert:
    """The alert that ``model``'s watch ``check`` (``actions``, ``features`` or ``slippage``, see
    :mod:`huracan.health.watch`) crossed its threshold on ``account`` ``symbol`` ``timeframe`` at the tick
    decided at ``since_ms`` (ms UTC): one per crossing, so a tick's rerun sends it once."""
    from huracan.clock import format_ms

    return Alert(
        AlertKind.DRIFT,
        f"{account}/{symbol}/{timeframe}/{check}@{since_ms}",
        f"drift: {model} on {account} {symbol} {timeframe} ({check})",
        f"{detail} (tick of {format_ms(since_ms)})",
    )


def alert_drift(settings: Settings, alerts: Iterable[Alert]) -> None:
    """Send the drift alerts of a tick (:func:`drift_alert`), each once."""
    pending = list(alerts)
    if pending:
        notify_safely(settings, lambda notifier: [notifier.send(alert) for alert in pending])

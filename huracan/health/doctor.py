"""The checks of ``huracan doctor``: is the system able to trade, and if not, what to do about it.

Each check returns one :class:`Check` (PASS, WARN or FAIL, what it saw, and the fix when it is not a
PASS). A check never raises: whatever breaks its dependency becomes its FAIL message. Checks that read
the store run only when the store is reachable and migrated (the doctor never migrates anything).
"""

from __future__ import annotations

import enum
import importlib.util
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huracan.config import Settings
from huracan.errors import HuracanError
from huracan.redaction import redact
from huracan.series import SeriesKey, normalize_symbol
from huracan.timeframes import Timeframe

MAX_CLOCK_SKEW_MS = 1_000
"""Largest allowed difference between this machine's clock and the exchange's, ms."""
DAGS_FOLDER = Path(__file__).resolve().parents[2] / "dags"
"""The DAG files of the source checkout the package is imported from."""


class Status(enum.Enum):
    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Check:
    """One check's outcome: ``name``, ``status``, what was seen (``detail``) and the ``fix`` (empty on PASS)."""

    name: str
    status: Status
    detail: str
    fix: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status.value, "detail": self.detail, "fix": self.fix}


def _now_ms() -> int:
    return int(time.time() * 1000)


def _first_line(exc: BaseException) -> str:
    text = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
    return redact(text)


def doctor_symbols(settings: Settings) -> list[str]:
    """The symbols of ``HURACAN_DOCTOR_SYMBOLS``; :class:`HuracanError` names a bad one."""
    return [normalize_symbol(part.strip()) for part in settings.doctor_symbols.split(",") if part.strip()]


def check_store(settings: Settings) -> Check:
    """The store answers and its schema is at the newest migration."""
    from sqlalchemy.exc import SQLAlchemyError

    from huracan.data.db import create_store_engine, current_revision, head_revision, store_failure

    try:
        engine = create_store_engine(settings.store_url)
    except HuracanError as exc:
        return Check("store", Status.FAIL, str(exc), "set HURACAN_DB_URL to a PostgreSQL or SQLite URL")
    shown = engine.url.render_as_string(hide_password=True)
    try:
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        return Check(
            "store",
            Status.FAIL,
            f"unreachable: {store_failure(engine, exc)}",
            "start the database or correct HURACAN_DB_URL",
        )
    finally:
        engine.dispose()
    head = head_revision()
    if revision != head:
        return Check(
            "store",
            Status.FAIL,
            f"store {shown} is at schema revision {revision or 'none'}, the code needs {head}",
            "run `huracan db upgrade`",
        )
    return Check("store", Status.PASS, f"store {shown} reachable, schema at revision {head}")


def check_mlflow(settings: Settings) -> Check:
    """The MLflow tracking store answers."""
    from mlflow import MlflowClient

    uri = str(settings.mlflow_tracking_uri)
    try:
        MlflowClient(tracking_uri=uri, registry_uri=uri).search_experiments(max_results=1)
    except Exception as exc:  # MLflow raises many types (MlflowException, requests, sqlalchemy)
        return Check(
            "mlflow",
            Status.FAIL,
            f"tracking store {redact(uri)} unreachable: {_first_line(exc)}",
            "start the MLflow server or correct MLFLOW_TRACKING_URI",
        )
    return Check("mlflow", Status.PASS, f"tracking store {redact(uri)} reachable")


def check_champion(settings: Settings, symbol: str) -> Check:
    """``symbol`` has a champion on ``live_timeframe`` and its policy loads."""
    from huracan.registry.models import alias_ref, load_policy
    from huracan.registry.naming import CHAMPION, model_name
    from huracan.registry.tracking import configure_tracking

    name = model_name(symbol, settings.live_timeframe)
    check = f"champion {symbol}"
    try:
        client = configure_tracking(settings)
        ref = alias_ref(client, name, CHAMPION)
        if ref is None:
            return Check(
                check,
                Status.FAIL,
                f"{name} has no {CHAMPION}",
                f"train and promote one: `huracan train --symbol {symbol} --timeframe {settings.live_timeframe}` "
                f"then `huracan promote --symbol {symbol} --timeframe {settings.live_timeframe}`",
            )
        load_policy(ref)
    except Exception as exc:  # a broken registry or artifact is this check's FAIL, whatever raised
        return Check(
            check, Status.FAIL, f"{name}@{CHAMPION} does not load: {_first_line(exc)}", "retrain and promote it"
        )
    return Check(check, Status.PASS, f"{ref.label} loads")


def check_exchange(settings: Settings) -> Check:
    """The exchange answers and its clock is within :data:`MAX_CLOCK_SKEW_MS` of this machine's."""
    from huracan.market.client import MarketClient

    target = settings.exchange_url or settings.exchange
    try:
        client = MarketClient.from_settings(settings.model_copy(update={"retry_attempts": 0}))
        before = _now_ms()
        server_ms = client.server_time_ms()
        after = _now_ms()
    except Exception as exc:  # ccxt's network errors, or a refused connection, are this check's FAIL
        return Check(
            "exchange",
            Status.FAIL,
            f"{target} unreachable: {_first_line(exc)}",
            "check the network, HURACAN_EXCHANGE and HURACAN_EXCHANGE_URL",
        )
    skew_ms = server_ms - (before + after) // 2
    if abs(skew_ms) >= MAX_CLOCK_SKEW_MS:
        return Check(
            "exchange",
            Status.FAIL,
            f"{target} reachable but its clock is {skew_ms:+,} ms from this machine's (limit {MAX_CLOCK_SKEW_MS} ms)",
            "synchronise this machine's clock (NTP, e.g. `timedatectl set-ntp true`)",
        )
    return Check("exchange", Status.PASS, f"{target} reachable, clock skew {skew_ms:+} ms")


def check_candles(settings: Settings, symbol: str, now_ms: int) -> Check:
    """The newest stored candle of ``symbol`` on ``live_timeframe`` is no older than the staleness limit."""
    from huracan.data.candle_store import CandleStore
    from huracan.quality.checks import freshness

    timeframe = Timeframe.parse(settings.live_timeframe)
    key = SeriesKey(settings.exchange, symbol, timeframe.name)
    check = f"candles {symbol} {timeframe.name}"
    sync = f"`huracan download --symbol {symbol} --timeframe {timeframe.name}`"
    bounds = CandleStore.open(settings.store_url).bounds(key)
    if bounds is None:
        return Check(check, Status.FAIL, f"no {key} candles stored", f"download them: {sync}")
    fresh = freshness(_array([bounds.last_ms]), timeframe.ms, now_ms)
    age = fresh.age_candles if fresh.age_candles is not None else float("inf")
    if age > settings.quality_stale_after_candles:
        return Check(
            check,
            Status.FAIL,
            f"stale: the newest candle closed {age:,.1f} candles ago (limit {settings.quality_stale_after_candles:g})",
            f"run {sync}, and check the live DAG is scheduled",
        )
    return Check(check, Status.PASS, f"the newest candle closed {max(age, 0.0):.1f} candles ago")


def _array(values: list[int]) -> Any:
    import numpy as np

    return np.asarray(values, dtype=np.int64)


def check_breakers(settings: Settings) -> Check:
    """No account's circuit breaker is tripped (HALTED fails, REDUCING warns); a pause by hand is HALTED
    too, and its fix is a resume, not a reset."""
    from huracan.risk.state import TradingState, is_paused
    from huracan.risk.store import RiskStore

    store = RiskStore.open(settings.store_url)
    states = [state for account in store.accounts() if (state := store.state(account)) is not None]
    halted = [s for s in states if s.trading_state is TradingState.HALTED]
    reducing = [s for s in states if s.trading_state is TradingState.REDUCING]
    if halted:
        first = halted[0]
        lift = (
            "when trading may resume, `huracan risk resume"
            if is_paused(first)
            else "find the cause, then `huracan risk reset"
        )
        return Check(
            "breaker",
            Status.FAIL,
            "; ".join(f"account {s.account} HALTED: {s.reason}" for s in halted),
            f"{lift} --account {first.account} --reason '...'`",
        )
    if reducing:
        return Check(
            "breaker",
            Status.WARN,
            "; ".join(f"account {s.account} REDUCING: {s.reason}" for s in reducing),
            "nothing to do: new exposure resumes the next UTC day",
        )
    return Check("breaker", Status.PASS, f"{len(states)} account(s), none halted or reducing")


def check_ticks(settings: Settings, symbol: str) -> Check:
    """The latest live tick of ``symbol`` on ``live_timeframe`` (its ``tick_health`` rows) ran, and its model
    watch crossed no threshold; a failed or stale tick or a crossed threshold warns (the next tick may be fine)."""
    from huracan.clock import format_ms
    from huracan.health.health_store import HealthStore, TickStatus
    from huracan.health.watch import Thresholds

    timeframe = Timeframe.parse(settings.live_timeframe).name
    check = f"ticks {symbol} {timeframe}"
    rows = HealthStore.open(settings.store_url).latest(symbol, timeframe)
    if not rows:
        return Check(check, Status.PASS, "no live tick recorded yet")
    when = format_ms(rows[0].decision_ms)
    step = f"`huracan live-step --symbol {symbol} --timeframe {timeframe}` (or the live DAG's task log)"
    failed = [row for row in rows if row.status in (TickStatus.FAILED, TickStatus.STALE)]
    if failed:
        detail = "; ".join(f"account {row.account} {row.status.value}: {row.error}" for row in failed)
        return Check(check, Status.WARN, f"the tick of {when}: {detail}", f"see what failed: {step}")
    thresholds = Thresholds.from_settings(settings)
    crossed = [f"account {row.account} {text}" for row in rows for text in row.watch.crossed(thresholds).values()]
    if crossed:
        return Check(
            check,
            Status.WARN,
            f"the tick of {when}: " + "; ".join(crossed),
            "compare the model's live and backtest behaviour (`huracan compare`); retrain if the market moved on",
        )
    statuses = ", ".join(f"{row.account} {row.status.value}" for row in rows)
    return Check(check, Status.PASS, f"the tick of {when}: {statuses}")


def check_disk(settings: Settings) -> Check:
    """Free space on the disk holding ``home`` is above ``doctor_min_free_disk_bytes`` (warn below twice it)."""
    place = settings.home
    while not place.exists() and place != place.parent:
        place = place.parent
    free = shutil.disk_usage(place).free
    limit = settings.doctor_min_free_disk_bytes
    detail = f"{free / 2**30:,.1f} GiB free at {place} (limit {limit / 2**30:,.1f} GiB)"
    if free < limit:
        return Check("disk", Status.FAIL, detail, "free disk space (old logs, MLflow artifacts) or move HURACAN_HOME")
    if free < 2 * limit:
        return Check("disk", Status.WARN, detail, "free disk space soon")
    return Check("disk", Status.PASS, detail)


def check_dags(folder: Path = DAGS_FOLDER) -> Check:
    """Every ``*.py`` in ``folder`` imports (as Airflow's DAG processor would)."""
    files = sorted(folder.glob("*.py"))
    if not files:
        return Check("dags", Status.WARN, f"no DAG files in {folder}", "run the doctor from the source checkout")
    broken = []
    for path in files:
        spec = importlib.util.spec_from_file_location(f"_huracan_doctor_dag_{path.stem}", path)
        try:
            assert spec is not None and spec.loader is not None
            spec.loader.exec_module(importlib.util.module_from_spec(spec))
        except Exception as exc:  # any error a DAG file raises at import is what Airflow would show
            broken.append(f"{path.name}: {_first_line(exc)}")
    if broken:
        return Check("dags", Status.FAIL, "; ".join(broken), "fix the import error shown (run `python <file>`)")
    return Check("dags", Status.PASS, f"{len(files)} DAG file(s) import: {', '.join(p.name for p in files)}")


def _guarded(name: str, check: Callable[[], Check]) -> Check:
    try:
        return check()
    except Exception as exc:  # a check that breaks is a FAIL of that check, never a crash of the doctor
        return Check(name, Status.FAIL, _first_line(exc), "see the message")


def run_checks(settings: Settings, dags_folder: Path = DAGS_FOLDER) -> Iterator[Check]:
    """Every check, in order; the store-reading ones FAIL without running when the store check did not pass."""
    now_ms = _now_ms()
    store = _guarded("store", lambda: check_store(settings))
    yield store
    yield _guarded("mlflow", lambda: check_mlflow(settings))
    symbols = doctor_symbols(settings)
    for symbol in symbols:
        yield _guarded(f"champion {symbol}", lambda s=symbol: check_champion(settings, s))  # type: ignore[misc]
    yield _guarded("exchange", lambda: check_exchange(settings))
    for symbol in symbols:
        name = f"candles {symbol} {settings.live_timeframe}"
        if store.status is Status.PASS:
            yield _guarded(name, lambda s=symbol: check_candles(settings, s, now_ms))  # type: ignore[misc]
        else:
            yield Check(name, Status.FAIL, "not checked: the store check failed", "fix the store first")
    if store.status is Status.PASS:
        yield _guarded("breaker", lambda: check_breakers(settings))
    else:
        yield Check("breaker", Status.FAIL, "not checked: the store check failed", "fix the store first")
    for symbol in symbols:
        name = f"ticks {symbol} {settings.live_timeframe}"
        if store.status is Status.PASS:
            yield _guarded(name, lambda s=symbol: check_ticks(settings, s))  # type: ignore[misc]
        else:
            yield Check(name, Status.FAIL, "not checked: the store check failed", "fix the store first")
    yield _guarded("disk", lambda: check_disk(settings))
    yield _guarded("dags", lambda: check_dags(dags_folder))

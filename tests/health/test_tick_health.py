"""Every live tick records its health per account (exactly one row, also after a rerun), a failed tick records
why, and a drifted observation sends exactly one drift alert to a loopback JSON webhook (the exchange is the
real emulator, through ccxt; the model a real SB3 policy in a real MLflow registry)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient
from sqlalchemy import func, select

from huracan.clock import parse_instant_ms
from huracan.config import Settings, get_settings
from huracan.data.db import open_engine
from huracan.data.schema import tick_health
from huracan.errors import DataQualityError
from huracan.health.health_store import HealthStore, TickStatus
from huracan.live.shadow import shadow_account
from huracan.live.tick import live_tick
from huracan.market.emulator import Emulator
from huracan.registry import naming
from huracan.registry.evaluation import ACTIONS_ARTIFACT
from huracan.timeframes import Timeframe
from tests.health.conftest import home_mlflow, register_all_in

from .test_alerts import Receiver

CLOCK = parse_instant_ms("2022-06-01T06:30:00Z")
HOUR = Timeframe.parse("1h")
HOUR_MS = HOUR.ms
SYMBOL = "BTC/USDT"
DECISION_MS = HOUR.last_closed_open_ms(CLOCK) + HOUR_MS
# ten decisions 37 .. 28 candles before the tick's: candles the tick's own sync stores (its 300-candle lookback)
TRAIN_START_MS = DECISION_MS - 37 * HOUR_MS
TRAIN_END_MS = TRAIN_START_MS + 10 * HOUR_MS


def _registered(settings: Settings, mlflow_template: Path, champion: bool) -> tuple[MlflowClient, str, str]:
    """An all-in policy registered with a short training window and a backtest action record (all in)."""
    client = home_mlflow(settings, mlflow_template)

    def log() -> None:
        train = {"split.train_start_ms": TRAIN_START_MS, "split.train_end_ms": TRAIN_END_MS}
        mlflow.log_params({"split.train_start_row": 0, "split.train_end_row": 10} | train)
        mlflow.log_dict({"counts": [0, 0, 0, 0, 0, 40], "start_ms": 0, "end_ms": 1}, ACTIONS_ARTIFACT)

    name, version = register_all_in(settings, client, SYMBOL, log)
    if champion:
        client.set_registered_model_alias(name, naming.CHAMPION, version)
        client.delete_registered_model_alias(name, naming.CHALLENGER)
    return client, name, version


def _rows(settings: Settings) -> int:
    with open_engine(settings.store_url).connect() as connection:
        return int(connection.execute(select(func.count()).select_from(tick_health)).scalar_one())


def test_a_tick_records_one_row_per_account_and_a_rerun_keeps_them(
    cli_env: Callable[..., Emulator], mlflow_template: Path
) -> None:
    cli_env(CLOCK)
    settings = get_settings()
    client, name, version = _registered(settings, mlflow_template, champion=False)
    tick = live_tick(settings, client, SYMBOL, HOUR, at_ms=CLOCK)
    assert tick.decision_ms == DECISION_MS
    store = HealthStore.open(settings.store_url)
    paper = store.get("paper", SYMBOL, "1h", DECISION_MS)
    assert paper is not None and paper.status is TickStatus.NO_MODEL and paper.model_version is None
    shadow = store.get(shadow_account(name, version), SYMBOL, "1h", DECISION_MS)
    assert shadow is not None and shadow.status is TickStatus.OK
    assert (shadow.model_name, shadow.model_version) == (name, version)
    assert shadow.quality is not None and "passed" in shadow.quality and shadow.error is None
    assert shadow.duration_ms > 0
    # one live decision (all in) against a backtest that was all in: the same mix
    assert shadow.watch.live_decisions == 1 and shadow.watch.action_tv is None  # fewer than 24 decisions
    assert shadow.watch.drift_frac is not None and 0.0 < shadow.watch.drift_frac <= 1.0
    assert shadow.watch.fills == 0 and shadow.watch.slippage_ratio is None
    assert _rows(settings) == 2

    live_tick(settings, client, SYMBOL, HOUR, at_ms=CLOCK)
    assert _rows(settings) == 2
    again = store.get(shadow_account(name, version), SYMBOL, "1h", DECISION_MS)
    assert again is not None and again.watch.drift_frac == shadow.watch.drift_frac


def test_a_stale_tick_records_stale_and_its_rerun_one_row(
    cli_env: Callable[..., Emulator], mlflow_template: Path
) -> None:
    cli_env(CLOCK)
    settings = get_settings()
    client, _, _ = _registered(settings, mlflow_template, champion=True)
    late = CLOCK + 24 * HOUR_MS  # the emulator's candles end a day before
    for _ in range(2):
        with pytest.raises(DataQualityError):
            live_tick(settings, client, SYMBOL, HOUR, at_ms=late)
    rows = HealthStore.open(settings.store_url).latest(SYMBOL, "1h")
    assert [(row.account, row.status, row.decision_ms) for row in rows] == [
        ("paper", TickStatus.STALE, HOUR.last_closed_open_ms(late) + HOUR_MS)
    ]
    assert rows[0].quality is not None and "staleness" in rows[0].quality
    assert rows[0].error is not None and "failed the data-quality gate" in rows[0].error
    assert _rows(settings) == 1


def test_a_drifted_observation_alerts_once(
    cli_env: Callable[..., Emulator],
    mlflow_template: Path,
    webhook: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HURACAN_WATCH_DRIFT_MAX_FRAC", "0.01")
    monkeypatch.setenv("HURACAN_WATCH_MIN_DECISIONS", "1")
    emulator = cli_env(CLOCK)
    settings = get_settings()
    client, name, version = _registered(settings, mlflow_template, champion=True)
    for _ in range(2):  # the tick and its retry
        live_tick(settings, client, SYMBOL, HOUR, at_ms=CLOCK)
    emulator.advance_clock(HOUR_MS)
    later = live_tick(settings, client, SYMBOL, HOUR, at_ms=CLOCK + HOUR_MS)  # still drifted: the same event
    assert [body["title"] for body in webhook.bodies] == [f"drift: {name} v{version} on paper BTC/USDT 1h (features)"]
    assert "outside their training range, above 1%" in webhook.bodies[0]["message"]
    row = HealthStore.open(settings.store_url).get("paper", SYMBOL, "1h", later.decision_ms)
    assert row is not None and row.status is TickStatus.OK
    assert row.watch.live_decisions == 2 and row.watch.action_tv == 0.0  # all in, live and in the backtest
    # the first tick's all-in order filled on paper at this candle's open and slipped as the cost model says
    # (its impact priced on the size asked for, a fee's worth above the size the cash paid for: +0.05 %)
    assert row.watch.fills == 1 and row.watch.slippage_ratio == pytest.approx(1.0, rel=1e-3)

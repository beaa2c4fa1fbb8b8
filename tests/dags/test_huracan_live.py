"""The live DAG: its shape and schedule, and a tick run end to end with ``dag.test()`` offline."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from huracan.clock import parse_instant_ms
from huracan.config import get_settings
from huracan.live.schedule import tick_cron
from huracan.market.emulator import Emulator

CLOCK = "2026-06-01T10:30:00Z"
LOGICAL_DATE = datetime(2026, 6, 1, 10, 1, tzinfo=UTC)  # a minute after the 09:00 candle closed


@pytest.fixture(scope="module")
def live_dag(dag_bag: Any) -> Any:
    assert "huracan_live" in dag_bag.dags, dag_bag.import_errors
    return dag_bag.dags["huracan_live"]


def test_one_mapped_tick_per_symbol_a_minute_after_each_candle(live_dag: Any) -> None:
    assert set(live_dag.task_ids) == {"plan", "tick"}
    assert live_dag.get_task("plan").downstream_task_ids == {"tick"}
    assert live_dag.schedule == tick_cron(get_settings().live_timeframe) == "1 * * * *"
    assert live_dag.catchup is False and live_dag.max_active_runs == 1
    assert live_dag.params["mode"] == "paper" and live_dag.params["shadow"] is True
    assert live_dag.description and "Trigger with config" in live_dag.doc_md
    for task in live_dag.tasks:
        assert task.retries >= 2 and task.execution_timeout is not None, task.task_id


@pytest.mark.parametrize("task_id", ["plan", "tick"])
def test_a_book_that_does_not_reconcile_or_a_late_tick_fails_without_retrying(live_dag: Any, task_id: str) -> None:
    from airflow.sdk import RetryAction

    from huracan.errors import ConfigError, DataQualityError, LateTickError, ReconciliationError

    policy = live_dag.get_task(task_id).retry_policy
    for error in (
        ReconciliationError("BTC/USDT: the book holds 0.5, the exchange 0"),
        LateTickError("BTC/USDT: the 09:00 candle is not the latest closed one"),
        DataQualityError("stale"),
        ConfigError("bad param"),
    ):
        assert policy.evaluate(error, 1, 3).action is RetryAction.FAIL, error
    assert policy.evaluate(RuntimeError("transient"), 1, 3).action is RetryAction.DEFAULT


@pytest.mark.parametrize(
    ("timeframe", "cron"),
    [("1m", "* * * * *"), ("15m", "1-59/15 * * * *"), ("1h", "1 * * * *"), ("4h", "1 */4 * * *"), ("1d", "1 0 * * *")],
)
def test_the_schedule_follows_the_timeframe(timeframe: str, cron: str) -> None:
    assert tick_cron(timeframe) == cron


@pytest.mark.slow
def test_a_run_without_a_champion_records_it_and_live_mode_is_refused(
    airflow_db: Path, live_dag: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huracan.live.decisions import DecisionStore
    from huracan.pipeline.run_record import read_run

    with Emulator(seed=3, symbols=("BTC/USDT", "ETH/USDT"), clock_ms=parse_instant_ms(CLOCK)) as emulator:
        monkeypatch.setenv("HURACAN_HOME", str(tmp_path / "home"))
        monkeypatch.setenv("HURACAN_EXCHANGE_URL", emulator.url)
        monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'home' / 'mlflow.db'}")
        monkeypatch.delenv("HURACAN_DB_URL", raising=False)
        get_settings.cache_clear()
        run = live_dag.test(logical_date=LOGICAL_DATE, run_conf={"symbols": ["BTC/USDT", "ETH/USDT"]})
        assert run.state == "success"
        record = read_run("huracan_live", run_id=run.run_id)
        ticks = [t for t in record.tasks if t.task_id == "tick"]
        assert len(ticks) == 2 and all(t.state == "success" for t in ticks)
        decisions = DecisionStore.open(get_settings().store_url)
        for symbol in ("BTC/USDT", "ETH/USDT"):
            (decision,) = decisions.history("paper", symbol, "1h")
            assert decision.decision_ms == parse_instant_ms("2026-06-01T10:00:00Z")
            assert "no champion" in decision.note and decision.action is None
        refused = live_dag.test(logical_date=datetime(2026, 6, 1, 11, 1, tzinfo=UTC), run_conf={"mode": "live"})
        assert refused.state == "failed"
        plan = next(t for t in read_run("huracan_live", run_id=refused.run_id).tasks if t.task_id == "plan")
        assert (plan.state, plan.try_number) == ("failed", 1)  # refused at once, not retried
    get_settings.cache_clear()


def test_the_mode_param_defaults_to_the_live_mode_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.dag_processing.dagbag import DagBag

    from huracan.pipeline.local_airflow import DAGS_FOLDER

    monkeypatch.setenv("HURACAN_LIVE_MODE", "live")
    get_settings.cache_clear()
    try:
        bag = DagBag(dag_folder=str(DAGS_FOLDER / "huracan_live.py"))
        assert bag.dags["huracan_live"].params["mode"] == "live", bag.import_errors
    finally:
        get_settings.cache_clear()

"""The daily trade-memory DAG: its shape and schedule, and a run that records the paper fills' round trips."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from huracan.config import get_settings


@pytest.fixture(scope="module")
def memory_dag(dag_bag: Any) -> Any:
    assert "huracan_trade_memory" in dag_bag.dags, dag_bag.import_errors
    return dag_bag.dags["huracan_trade_memory"]


def test_one_refresh_task_once_a_day(memory_dag: Any) -> None:
    assert set(memory_dag.task_ids) == {"refresh"}
    assert memory_dag.schedule == "20 0 * * *"
    assert memory_dag.catchup is False and memory_dag.max_active_runs == 1
    assert memory_dag.params["timeframe"] == get_settings().live_timeframe
    task = memory_dag.get_task("refresh")
    assert task.retries >= 2 and task.execution_timeout is not None


@pytest.mark.slow
def test_a_run_records_the_paper_round_trips(
    airflow_db: Path, memory_dag: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huracan.memory.store import TradeMemory
    from tests.memory.conftest import store_candles_and_fills

    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("HURACAN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HURACAN_DB_URL", store_url)
    get_settings.cache_clear()
    store_candles_and_fills(store_url, ("paper",))
    run = memory_dag.test(logical_date=datetime(2026, 6, 2, 0, 20, tzinfo=UTC), run_conf={"timeframe": "1h"})
    assert run.state == "success"
    assert len(TradeMemory.open(store_url).trips("BTC/USDT", "1h", "paper")) == 3
    get_settings.cache_clear()

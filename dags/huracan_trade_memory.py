"""
# Huracan trade memory (daily)

Once a day, after midnight UTC: every symbol with fills in the store gets its closed round trips recorded
in the trade memory (each account under its own source: `paper`, `shadow:...` as `shadow`, `live`), and
the win/loss analysis of each source is written to the task log. Idempotent: a round trip is stored once
per account and entry time, so a rerun changes nothing.

| param | meaning |
|---|---|
| `timeframe` | candle timeframe of the traded series (default `HURACAN_LIVE_TIMEFRAME`), for excursions and entry observations |

`huracan trades record` / `huracan trades analyze` do the same by hand for one symbol.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from huracan.config import get_settings
from huracan.pipeline.dag_rules import task_defaults
from huracan.timeframes import TIMEFRAME_MS


@dag(
    dag_id="huracan_trade_memory",
    description="Daily: round trips of the paper, shadow and live accounts into the trade memory, and their analysis.",
    schedule="20 0 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["huracan", "live", "memory"],
    doc_md=__doc__,
    default_args=task_defaults(timedelta(minutes=1), timedelta(minutes=20)),
    params={
        "timeframe": Param(get_settings().live_timeframe, type="string", enum=list(TIMEFRAME_MS), title="Timeframe"),
    },
)
def huracan_trade_memory() -> None:
    @task
    def refresh(**context: Any) -> dict[str, Any]:
        """Record every account's closed round trips (each under its source) and log the analysis."""
        from huracan.memory.refresh import refresh_trade_memory

        return refresh_trade_memory(get_settings(), str(context["params"]["timeframe"]))

    refresh()


huracan_trade_memory()

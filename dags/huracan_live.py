"""
# Huracan live trading (paper by default)

Per symbol, in parallel (dynamic task mapping), a minute after every candle of `HURACAN_LIVE_TIMEFRAME`
closes (default 1h):

**tick**: sync the latest closed candles (the training DAG's sync) → validate them for live use (the
data-quality gate; staleness is critical) → the `champion` decides on the last closed candle (loaded from
MLflow by alias, cached by version; the observation from the one builder on just enough candles) → the
risk manager → the paper broker (in `live` mode the exchange broker, after reconciling the symbol) →
every decision, order and fill recorded in the store. The `challenger`, when there is one, decides on the
same candle for its own paper account `shadow:<model>/<version>`. No champion yet: the tick records that and does nothing else; a new champion
from the training DAG takes over at the next tick, with the position it inherits.

A tick is a transaction: a retry or a rerun for the same symbol and candle changes nothing (decisions are
recorded once, orders have deterministic client ids). Candles that fail the live gate (e.g. stale) fail
the tick at once with the report, without retrying; so does a live tick whose book does not reconcile with
the exchange (the book is halted) or that runs after its candle stopped being the latest closed one (a
retry would be later still). After downtime the tick acts on the latest candle only.

## Trigger with config

| param | meaning |
|---|---|
| `symbols` | unified spot symbols, e.g. `["BTC/USDT"]`; one mapped tick each |
| `timeframe` | candle timeframe (scheduled runs use `HURACAN_LIVE_TIMEFRAME`) |
| `mode` | `paper` or `live` (default `HURACAN_LIVE_MODE`, itself `paper` by default): the champion's orders go to the exchange (account `live`, reconciled first; the shadow stays on paper); needs `HURACAN_LIVE_TRADING=true` and keys, else the run fails at `plan` |
| `shadow` | let the challenger trade its shadow paper account |

`huracan live-step -s BTC/USDT -t 1h` runs the same tick by hand; `huracan paper-run` replays it over history.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from huracan.config import get_settings
from huracan.live.schedule import tick_cron  # light modules: no pandas, ccxt, torch, mlflow, GX
from huracan.pipeline.dag_rules import LIVE_BOOK_RULES, SYMBOL_LABEL, no_retry_on_bad_data, task_defaults
from huracan.pipeline.jobs import SYMBOL_PATTERN
from huracan.timeframes import TIMEFRAME_MS

TIMEFRAME = get_settings().live_timeframe

# Bad data, bad configuration, a book that does not reconcile with the exchange and a tick too late for its
# candle do not heal by waiting (a late retry is later still); the next candle's tick tries again.
NO_RETRY_ON_PERMANENT_FAILURES = no_retry_on_bad_data(
    "the candles failed the live data-quality gate; the next tick tries again", *LIVE_BOOK_RULES
)


@dag(
    dag_id="huracan_live",
    description="Champion inference at every candle close, challenger in shadow, risk-gated orders (paper by default).",
    schedule=tick_cron(TIMEFRAME),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["huracan", "live"],
    doc_md=__doc__,
    default_args=task_defaults(timedelta(seconds=20), timedelta(minutes=10)),
    params={
        "symbols": Param(
            ["BTC/USDT"],
            type="array",
            items={"type": "string", "pattern": SYMBOL_PATTERN},
            minItems=1,
            uniqueItems=True,
            title="Symbols",
            description="Unified spot symbols, e.g. BTC/USDT; one tick each, in parallel.",
        ),
        "timeframe": Param(TIMEFRAME, type="string", enum=list(TIMEFRAME_MS), title="Timeframe"),
        "mode": Param(
            get_settings().live_mode,
            type="string",
            enum=["paper", "live"],
            title="Mode",
            description="paper, or live: the champion trades on the exchange (needs live trading and keys).",
        ),
        "shadow": Param(
            True, type="boolean", title="Shadow", description="The challenger trades its own paper account."
        ),
    },
)
def huracan_live() -> None:
    @task(retry_policy=NO_RETRY_ON_PERMANENT_FAILURES)
    def plan(**context: Any) -> list[dict[str, Any]]:
        """One job per symbol, at the run's time (its last closed candle is decided on)."""
        from huracan.pipeline import live_tasks

        at = context.get("logical_date") or context["dag_run"].run_after
        return live_tasks.plan(context["params"], int(at.timestamp() * 1000))

    @task(retry_policy=NO_RETRY_ON_PERMANENT_FAILURES, map_index_template=SYMBOL_LABEL, multiple_outputs=False)
    def tick(job: dict[str, Any]) -> dict[str, Any]:
        """Sync, validate for live use, decide (champion; challenger in shadow), risk gate, paper broker, record."""
        from huracan.pipeline import live_tasks

        return live_tasks.tick(job)

    tick.expand(job=plan())


huracan_live()

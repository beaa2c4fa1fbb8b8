"""
# Huracan daily training

Per symbol, in parallel (dynamic task mapping: more workers run more symbols at once):

**download** candles through ccxt into the store → **validate** them (the data-quality gate) →
**train** PPO agents (one per seed, logged to MLflow; the ensemble of the seeds, the action with the
largest mean probability, is registered as a new version with the alias `challenger`) → **backtest** it out of sample beside the baselines → **promote**: the
promotion gate moves `champion` to it only if, on its test window (fees and slippage on), its Sharpe beats
the champion's, buy & hold's and staying flat's by the margin, its max drawdown is within the limit, the
median of its seeds beats them too, and (when `HURACAN_PROMOTE_MIN_SHADOW_TICKS` > 0) its shadow paper
record holds up. Every check is reported with its numbers, also when it rejects.

**Where the results show**: the promote task writes one line per symbol into this run's **note** (promoted
or rejected; for a rejection, what each failed check would have needed, e.g. "Sharpe 0.41 needed > buy &
hold's 0.55"; the test window's Sharpe beside buy & hold and the champion, and the drawdown), through
Airflow's REST API with the connection `huracan_airflow_api` (`make airflow-ui` sets it up). Each task's
log links to what it made: validate to the GX Data Docs of its validation, train to its MLflow run and
model version, backtest to the run it logged to, promote to the version. MLflow runs are named for the
symbol, version, trigger and cutoff, e.g. `BTC-USDT 1d v3 · manual · 2026-12-02T18:00Z`.

A symbol whose candles fail the quality gate stops at *validate*: the task fails at once (no retry, data
does not heal by waiting) with the report's summary as the error, in the log; nothing is trained or
registered for it, and the other symbols carry on.

## Trigger with config

| param | meaning |
|---|---|
| `symbols` | unified spot symbols, one per line in the trigger form (`BTC/USDT`, then `ETH/USDT`), a JSON list (`["BTC/USDT", "ETH/USDT"]`) in the JSON editor or the API; one mapped task group each |
| `timeframe` | candle timeframe |
| `history_start` | first candle used (UTC date); the last is the last candle closed at the run's logical date |
| `timesteps` | PPO training budget per seed, environment steps |
| `seeds` | training seeds (one model each, registered as their ensemble; the spread is reported) |
| `promote` | let the gate move the `champion` alias (off: register as `challenger` only) |

## Assets

Symbols are chosen per run, so the concrete assets are created at run time through two asset aliases:

- alias `huracan_candles` → one asset per stored series, `x-huracan://candles/<exchange>/<BASE-QUOTE>/<timeframe>`
  (e.g. `x-huracan://candles/binance/BTC-USDT/1d`); each event's extra holds the row count, the range and
  what this run fetched.
- alias `huracan_models` → one asset per registered model, `x-huracan://models/<registered model name>`;
  each event's extra holds the version, its aliases and the promotion decision.

Schedule your own DAG on one series (`schedule=[Asset("x-huracan://candles/binance/BTC-USDT/1d")]`) or on
every series (`schedule=[AssetAlias("huracan_candles")]`). A static asset per (exchange, timeframe) would
fire for every symbol alike; the alias keeps one asset per thing a consumer cares about.

## Reruns

Every task is rerunnable: download upserts (a rerun stores no duplicate), the range ends at the run's
logical date (never "now"), a retried train starts a new MLflow run. Download retries with exponential
backoff here as well as inside the exchange client; a symbol the exchange does not list fails at once.

Runs offline with `make run` (the loopback exchange emulator); see the README.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import (
    Asset,
    AssetAlias,
    ExceptionRetryPolicy,
    Param,
    RetryAction,
    RetryRule,
    dag,
    task,
    task_group,
)

from huracan.pipeline.dag_rules import CONFIG_RULE, SYMBOL_LABEL, no_retry_on_bad_data, task_defaults
from huracan.pipeline.jobs import SYMBOL_PATTERN  # light modules: no pandas, ccxt, torch, mlflow, GX
from huracan.timeframes import TIMEFRAME_MS

CANDLES = AssetAlias(name="huracan_candles")
MODELS = AssetAlias(name="huracan_models")

# Bad data does not heal by waiting: a failed quality gate fails the task without retrying.
NO_RETRY_ON_BAD_DATA = no_retry_on_bad_data("the candles failed the data-quality gate; retrying cannot fix them")
# The exchange not listing a symbol, or rejecting a request outright, does not change by waiting either;
# its being unavailable does (download then retries with exponential backoff).
NO_RETRY_ON_PERMANENT_EXCHANGE_ERRORS = ExceptionRetryPolicy(
    rules=[
        RetryRule(
            exception=["huracan.errors.UnknownSymbolError", "huracan.errors.ExchangeRequestError"],
            action=RetryAction.FAIL,
            reason="the exchange rejected the request; retrying cannot fix it",
        ),
        CONFIG_RULE,
    ]
)


@dag(
    dag_id="huracan_training",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["huracan", "training"],
    description="Download, validate, train PPO, backtest against baselines and gate each symbol's model.",
    doc_md=__doc__,
    default_args=task_defaults(timedelta(minutes=1), timedelta(hours=1), backoff=None),
    params={
        "symbols": Param(
            ["BTC/USDT"],
            type="array",
            items={"type": "string", "pattern": SYMBOL_PATTERN},
            minItems=1,
            uniqueItems=True,
            title="Symbols",
            description="One unified spot symbol per line (BTC/USDT); each runs download → promote in parallel.",
        ),
        "timeframe": Param("1d", type="string", enum=list(TIMEFRAME_MS), title="Timeframe"),
        "history_start": Param(
            "2019-01-01",
            type="string",
            format="date",
            title="History start",
            description="First candle used (UTC). The last is the last candle closed at the run's logical date.",
        ),
        "timesteps": Param(
            200_000,
            type="integer",
            minimum=1_000,
            title="Timesteps",
            description="PPO training budget per seed, environment steps.",
        ),
        "seeds": Param(
            [0, 1, 2, 3, 4, 5],
            type="array",
            items={"type": "integer", "minimum": 0},
            minItems=1,
            maxItems=10,
            title="Seeds",
            description="One model is trained per seed; their ensemble is registered.",
        ),
        "promote": Param(
            True,
            type="boolean",
            title="Promote",
            description="Let the promotion gate move the champion alias (off: register as challenger only).",
        ),
    },
)
def huracan_training() -> None:
    @task(retry_policy=NO_RETRY_ON_BAD_DATA)
    def plan(**context: Any) -> list[dict[str, Any]]:
        """One job per symbol: the range (history start .. last candle closed at the logical date)."""
        from huracan.pipeline import tasks

        # a manual run may have no logical date (Airflow 3): then its cutoff is when it was triggered
        cutoff = context.get("logical_date") or context["dag_run"].run_after
        return tasks.plan(context["params"], int(cutoff.timestamp() * 1000), context["run_id"])

    @task(
        outlets=[CANDLES],
        retries=4,
        retry_delay=timedelta(seconds=30),
        retry_exponential_backoff=2.0,
        max_retry_delay=timedelta(minutes=10),
        retry_policy=NO_RETRY_ON_PERMANENT_EXCHANGE_ERRORS,
        map_index_template=SYMBOL_LABEL,
        multiple_outputs=False,
    )
    def download(job: dict[str, Any], outlet_events: Any = None) -> dict[str, Any]:
        """Fetch the missing closed candles into the store (upsert); emits the series' asset event."""
        from huracan.pipeline import tasks

        result = tasks.download(job)
        extra = {key: result[key] for key in ("series", "rows", "first_ms", "last_ms", "fetched", "holes")}
        outlet_events[CANDLES].add(Asset(name=result["asset_uri"], uri=result["asset_uri"]), extra=extra)
        return result

    @task(retry_policy=NO_RETRY_ON_BAD_DATA, map_index_template=SYMBOL_LABEL, multiple_outputs=False)
    def validate(job: dict[str, Any], downloaded: dict[str, Any]) -> dict[str, Any]:
        """The data-quality gate; fails with the report's summary when the candles are not fit to train on."""
        from huracan.pipeline import tasks

        return tasks.validate(job, downloaded)

    @task(execution_timeout=timedelta(hours=4), map_index_template=SYMBOL_LABEL, multiple_outputs=False)
    def train(job: dict[str, Any], validated: dict[str, Any]) -> dict[str, Any]:
        """One PPO agent per seed on the validated candles (a new MLflow run per attempt); the median
        seed is registered as a new version with the alias challenger."""
        from huracan.pipeline import tasks

        return tasks.train(job, validated)

    @task(map_index_template=SYMBOL_LABEL, multiple_outputs=False)
    def backtest(job: dict[str, Any], trained: dict[str, Any]) -> dict[str, Any]:
        """Out-of-sample backtest of the trained model beside the baselines; metrics go to MLflow."""
        from huracan.pipeline import tasks

        return tasks.backtest(job, trained)

    @task(outlets=[MODELS], map_index_template=SYMBOL_LABEL, multiple_outputs=False)
    def promote(
        job: dict[str, Any], backtested: dict[str, Any], outlet_events: Any = None, **context: Any
    ) -> dict[str, Any]:
        """The promotion gate on the version train registered as challenger; emits the model's asset event
        and writes the symbol's line (promoted or rejected, why, the numbers) into the run's note."""
        from huracan.pipeline import tasks
        from huracan.pipeline.run_note import publish_note

        result = tasks.promote(job, backtested)
        dag_run = context["dag_run"]
        publish_note(dag_run.dag_id, dag_run.run_id, result["note"])  # logs whether it was set, or why not
        if result.get("asset_uri"):
            outlet_events[MODELS].add(
                Asset(name=result["asset_uri"], uri=result["asset_uri"]), extra=result.get("asset_extra", {})
            )
        return result

    @task_group
    def symbol(job: dict[str, Any]) -> None:
        """download → validate → train → backtest → promote, for one symbol."""
        # each XComArg stands for the upstream task's dict when the downstream runs
        downloaded = download(job)
        validated = validate(job, downloaded)  # type: ignore[arg-type]
        trained = train(job, validated)  # type: ignore[arg-type]
        backtested = backtest(job, trained)  # type: ignore[arg-type]
        promote(job, backtested)  # type: ignore[arg-type]

    symbol.expand(job=plan())


huracan_training()

"""The training DAG's task bodies: one function per task, small JSON values in and out.

``dags/huracan_training.py`` calls exactly one of these per task; the ``huracan`` command line calls
the same parts, so anything the DAG does can be run by hand. Each function builds its
:class:`~huracan.config.Settings` here (from the ``HURACAN_*`` environment of the worker), calls one
part's public API and returns ids, URIs and summaries, never data. Heavy modules (pandas, ccxt, GX,
torch, MLflow) are imported inside the functions, so importing this module stays cheap.

Every function is rerunnable for the same job: download upserts, validate records a new validation of
the same range, train starts a new MLflow run, backtest re-evaluates, and promote re-applies the gate.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

from huracan.clock import format_ms
from huracan.config import get_settings
from huracan.pipeline.jobs import SeriesJob, candle_asset_uri, plan_jobs
from huracan.pipeline.links import data_docs_url
from huracan.registry.links import mlflow_run_url, mlflow_version_url

log = logging.getLogger(__name__)

Result = dict[str, Any]
"""What a task returns (its XCom): a small JSON-able dict."""

TRIGGERS = {"manual": "manual", "scheduled": "scheduled", "asset_triggered": "asset", "backfill": "backfill"}
"""Airflow run types (the prefix of a run id) as a run name says them."""


def trigger_of(run_label: str) -> str:
    """What started the run: ``manual``, ``scheduled``, ``asset`` or ``backfill`` from an Airflow run id
    (``manual__2026-12-02T18:00:00+00:00``), ``cli`` outside Airflow; an unknown prefix stays as it is."""
    if not run_label:
        return "cli"
    prefix = run_label.split("__", 1)[0] if "__" in run_label else "manual"
    return TRIGGERS.get(prefix, prefix)


def minute_iso(ts_ms: int) -> str:
    """``ts_ms`` (ms UTC) as a minute-precise ISO time, ``2026-12-02T18:00Z``."""
    return format_ms(ts_ms)[:16].replace(" ", "T") + "Z"


def mlflow_run_name(job: SeriesJob, version: str | None = None, seed: int | None = None) -> str:
    """The MLflow run name of a training: symbol, timeframe, version (once registered), seed (for a seed's
    run), the trigger and the run's cutoff, e.g. ``BTC-USDT 1d v3 · seed 0 · manual · 2026-12-02T18:00Z``."""
    from huracan.series import symbol_slug

    head = f"{symbol_slug(job.symbol)} {job.timeframe}" + (f" v{version}" if version else "")
    parts = [head] + ([f"seed {seed}"] if seed is not None else [])
    return " · ".join([*parts, trigger_of(job.run_label), minute_iso(job.cutoff_ms)])


def rounded(value: Any, digits: int = 6) -> Any:
    """``value`` with every float rounded to ``digits`` decimals (dicts and lists walked), for results and
    logs a person reads; ints, strings and non-finite floats stay as they are."""
    if isinstance(value, float):
        return round(value, digits) if math.isfinite(value) else value
    if isinstance(value, dict):
        return {key: rounded(item, digits) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(item, digits) for item in value]
    return value


def _fmt(value: Any, fmt: str) -> str:
    return "-" if not isinstance(value, int | float) or not math.isfinite(value) else fmt.format(value)


def plan(params: Mapping[str, Any], cutoff_ms: int, run_label: str = "") -> list[Result]:
    """One job dict per symbol (see :func:`huracan.pipeline.jobs.plan_jobs`)."""
    jobs = plan_jobs(params, cutoff_ms, get_settings().exchange, run_label)
    for job in jobs:
        log.info(
            "planned %s %s %s: candles %s .. %s, %d timesteps x seeds %s, promote=%s",
            job.exchange,
            job.symbol,
            job.timeframe,
            format_ms(job.since_ms),
            format_ms(job.until_ms),
            job.timesteps,
            list(job.seeds),
            job.promote,
        )
    return [job.to_dict() for job in jobs]


def download(job: Mapping[str, Any]) -> Result:
    """Sync the job's candles from the exchange into the store (incremental, upserting).

    :returns: ``series`` (str), ``asset_uri``, ``fetched`` (candles received this time), ``requests``,
        ``rows`` (candles stored in the job's range), ``first_ms``/``last_ms`` of the range, ``holes``
        (missing candles the exchange could not provide).
    :raises ExchangeUnavailableError: the exchange kept failing after the client's retries (Airflow
        retries the task with exponential backoff).
    :raises UnknownSymbolError: the exchange does not list the symbol (not worth a retry).
    :raises TruncatedDownloadError: candles are still missing at the end of the range (retried).
    """
    from huracan.data.candle_store import CandleStore, SeriesKey
    from huracan.data.sync import CandleSync
    from huracan.market.client import MarketClient
    from huracan.timeframes import Timeframe

    series_job = SeriesJob.from_dict(job)
    settings = get_settings()
    store = CandleStore.open(settings.store_url)
    syncer = CandleSync(MarketClient.from_settings(settings), store)
    summary = syncer.sync(
        series_job.symbol, Timeframe.parse(series_job.timeframe), series_job.since_ms, series_job.until_ms
    )
    summary.raise_if_failed()  # a truncated tail fails the task (retried: the exchange may catch up)
    key = SeriesKey(series_job.exchange, series_job.symbol, series_job.timeframe)
    bounds = store.bounds(key, series_job.since_ms, series_job.until_ms)
    holes = sum(gap.missing for gap in summary.holes)
    result: Result = {
        "series": str(key),
        "asset_uri": candle_asset_uri(key.exchange, key.symbol, key.timeframe),
        "fetched": summary.fetched,
        "requests": summary.requests,
        "rows": bounds.count if bounds else 0,
        "first_ms": bounds.first_ms if bounds else None,
        "last_ms": bounds.last_ms if bounds else None,
        "holes": holes,
    }
    log.info(
        "%s: fetched %d candles in %d requests; %d stored in %s .. %s; %d missing",
        key,
        summary.fetched,
        summary.requests,
        result["rows"],
        format_ms(result["first_ms"]),
        format_ms(result["last_ms"]),
        holes,
    )
    return result


def validate(job: Mapping[str, Any], downloaded: Mapping[str, Any]) -> Result:
    """Run the data-quality gate on the job's range and record it; raise when it fails.

    The staleness reference is the run's cutoff (not "now"), so a rerun judges the same candles alike.

    :returns: ``summary`` (one line), ``coverage`` (fraction), ``rows``, ``warnings`` (check names),
        ``report_dir`` (the GX result, Data Docs and ``report.json``).
    :raises DataQualityError: a critical check failed; its message is the report's summary (what
        failed, where, and the report folder). The DAG fails the task without retrying.
    """
    from huracan.data.candle_store import SeriesKey
    from huracan.quality import validate_series

    series_job = SeriesJob.from_dict(job)
    key = SeriesKey(series_job.exchange, series_job.symbol, series_job.timeframe)
    report = validate_series(
        get_settings(), key, series_job.since_ms, series_job.until_ms, "training", as_of_ms=series_job.cutoff_ms
    )
    if not report.success:
        log.error("%s", report.summary())
        for check in report.checks:
            if check.name in report.failures:
                log.error("  %s: %s (needs %s)", check.name, check.message, check.threshold)
    docs = data_docs_url(report.report_dir)
    log.info("GX Data Docs of this validation: %s", docs or "none written")
    report.raise_if_failed()
    return {
        "passed": True,
        "summary": report.summary(),
        "coverage": report.coverage,
        "rows": report.rows,
        "warnings": list(report.warnings),
        "report_dir": str(report.report_dir) if report.report_dir else None,
        "data_docs": docs,
    }


def train(job: Mapping[str, Any], validated: Mapping[str, Any]) -> Result:
    """Train one PPO per seed on the validated range; their ensemble is registered as ``challenger``.

    Each call is a new MLflow parent run (seeds nested under it), so a retried task never writes into a
    failed attempt's run (MLflow marks that one FAILED); a model identical to an existing version (a rerun
    the same day) is not registered again (``reused``), that version is judged again.

    :returns: ``model_name``, ``version``, ``run_id`` (the registered model's run: the parent run for an
        ensemble, the seed's for one seed), ``group_run_id``, ``registered`` ("ensemble of seeds 0, 1, 2"
        or "seed 0"), ``validation_score`` (the registered model's), ``seeds`` (seed, validation score,
        run per seed), ``validation_metric``,
        ``test_start_ms``/``test_end_ms`` (the out-of-sample window), ``data_sha256``, ``elapsed_s``, ``reused``.
    """
    from dataclasses import replace

    from huracan.registry.tracking import configure_tracking
    from huracan.registry.training import train_series
    from huracan.rl.train import TrainConfig
    from huracan.timeframes import Timeframe

    series_job = SeriesJob.from_dict(job)
    train_config = replace(TrainConfig(), timesteps=series_job.timesteps)
    result = train_series(
        get_settings(),
        series_job.symbol,
        Timeframe.parse(series_job.timeframe),
        series_job.seeds,
        series_job.since_ms,
        series_job.until_ms,
        train_config,
        run_label=series_job.run_label,
    )
    test = result.split.test
    settings = get_settings()
    client = configure_tracking(settings)
    version = None if result.reused else result.version
    client.update_run(result.group_run_id, name=mlflow_run_name(series_job, version))
    for outcome in result.seeds:
        seed_version = version if outcome.run_id == result.registered.run_id else None
        client.update_run(outcome.run_id, name=mlflow_run_name(series_job, seed_version, outcome.seed))
    experiment_id = client.get_run(result.group_run_id).info.experiment_id
    log.info(
        "trained %s v%s: %s registered (validation %s %.2f) in %.1f s",
        result.model_name,
        result.version,
        result.registered.label,
        train_config.selection_metric,
        result.registered.validation_score,
        result.elapsed_s,
    )
    log.info("MLflow training run: %s", mlflow_run_url(settings.mlflow_ui_url, experiment_id, result.group_run_id))
    log.info("MLflow model version: %s", mlflow_version_url(settings.mlflow_ui_url, result.model_name, result.version))
    return {
        "model_name": result.model_name,
        "version": result.version,
        "run_id": result.registered.run_id,
        "group_run_id": result.group_run_id,
        "registered": result.registered.label,
        "validation_score": rounded(result.registered.validation_score),
        "seeds": [
            {"seed": o.seed, "validation_score": rounded(o.validation_score), "run_id": o.run_id} for o in result.seeds
        ],
        "experiment_id": experiment_id,
        "validation_metric": train_config.selection_metric,
        "test_start_ms": test.start_ms,
        "test_end_ms": test.end_ms,
        "data_sha256": result.data.sha256,
        "elapsed_s": round(result.elapsed_s, 1),
        "reused": result.reused,
    }


def backtest(job: Mapping[str, Any], trained: Mapping[str, Any]) -> Result:
    """Backtest the version trained by this run on its test window beside every baseline; log to MLflow.

    :returns: ``model_name``, ``version``, ``run_id``, ``model`` (metrics), ``baselines`` (metrics by
        name), ``window`` (its bounds and decisions), ``plot`` (equity and drawdown PNG), ``warnings``,
        ``round_trips`` (how many were recorded in the trade memory, source backtest, with their
        win/loss analysis logged to the run).
    """
    from huracan.registry.evaluation import evaluate, log_evaluation, trades_of_backtest, write_plot
    from huracan.registry.tracking import configure_tracking
    from huracan.timeframes import Timeframe

    series_job = SeriesJob.from_dict(job)
    settings = get_settings()
    client = configure_tracking(settings)
    evaluation = evaluate(
        settings, client, series_job.symbol, Timeframe.parse(series_job.timeframe), model=str(trained["version"])
    )
    plot = write_plot(settings, evaluation)
    log_evaluation(client, evaluation, plot)
    trips = trades_of_backtest(settings, client, evaluation, record=True)  # the test window's round trips
    for warning in evaluation.warnings:
        log.warning("%s", warning)
    found = rounded(evaluation.as_json())
    model = found["model"]
    bh = found["baselines"].get("buy_and_hold", {})
    log.info(
        "%s v%s on %s .. %s: Sharpe %s, return %s, max drawdown %s; buy & hold Sharpe %s, return %s",
        trained["model_name"],
        trained["version"],
        found["window"]["start"],
        found["window"]["end"],
        _fmt(model.get("sharpe"), "{:.2f}"),
        _fmt(model.get("total_return"), "{:+.1%}"),
        _fmt(model.get("max_drawdown"), "{:.1%}"),
        _fmt(bh.get("sharpe"), "{:.2f}"),
        _fmt(bh.get("total_return"), "{:+.1%}"),
    )
    run_id = evaluation.model.run_id if evaluation.model is not None else trained.get("run_id")
    experiment_id = trained.get("experiment_id") or client.get_run(str(run_id)).info.experiment_id
    log.info("MLflow run with this backtest: %s", mlflow_run_url(settings.mlflow_ui_url, experiment_id, str(run_id)))
    return {
        "model_name": trained["model_name"],
        "version": str(trained["version"]),
        "run_id": run_id,
        "experiment_id": experiment_id,
        "model": model,
        "baselines": found["baselines"],
        "window": found["window"],
        "plot": str(plot),
        "warnings": found["warnings"],
        "round_trips": len(trips),
    }


def promote(job: Mapping[str, Any], backtested: Mapping[str, Any]) -> Result:
    """Apply the promotion gate to the version this run trained (it must still be the ``challenger``).

    With the job's ``promote`` off, the gate runs as a dry run: the decision is reported, no alias moves.
    A retry after a successful promotion finds the version already ``champion`` and reports that.

    :returns: ``model_name``, ``version``, ``aliases`` (after the task), ``decision`` ("promoted",
        "rejected", "not applied" or "already champion"), ``verdict`` (the gate's "promoted"/"rejected",
        also on a dry run; "" when the gate did not run), ``reason``, ``checks``, ``evidence`` (the numbers
        compared: Sharpe ratios annualised, drawdown a fraction), ``thresholds``, ``champion_version`` (the
        champion it was compared with, or None), ``note`` (the DAG run note's line for this symbol,
        :mod:`huracan.pipeline.run_note`), ``mlflow_url`` (the version in the MLflow UI), ``asset_uri`` and
        ``asset_extra`` (the model asset's event).
    :raises PromotionError: the version is no longer the challenger (another version was trained since).
    """
    from dataclasses import asdict

    from huracan.live.shadow import gate_shadow
    from huracan.pipeline.jobs import model_asset_uri
    from huracan.pipeline.run_note import promotion_line
    from huracan.registry import naming
    from huracan.registry.gate import GateThresholds
    from huracan.registry.models import alias_ref, version_ref
    from huracan.registry.promotion import promote as apply_gate
    from huracan.registry.tracking import configure_tracking
    from huracan.timeframes import Timeframe

    series_job = SeriesJob.from_dict(job)
    settings = get_settings()
    client = configure_tracking(settings)
    name, version = str(backtested["model_name"]), str(backtested["version"])
    champion = alias_ref(client, name, naming.CHAMPION)
    evidence: dict[str, Any] = {}
    verdict = ""
    if champion is not None and champion.version == version:  # a retry after the promotion succeeded
        decision, reason, checks = "already champion", f"{name} v{version} is already the champion", []
        champion_version = None
    else:
        timeframe = Timeframe.parse(series_job.timeframe)
        shadow = gate_shadow(settings, name, series_job.symbol, timeframe)
        outcome = apply_gate(
            settings,
            client,
            series_job.symbol,
            timeframe,
            dry_run=not series_job.promote,
            version=version,
            shadow=shadow,
        )
        decision, reason, verdict = outcome.status, outcome.decision.reason, outcome.decision.label
        checks = [asdict(check) for check in outcome.decision.checks]
        evidence = rounded({**asdict(outcome.evidence), "median_seed_sharpe": outcome.evidence.median_seed_sharpe})
        champion_version = None if champion is None else str(champion.version)
        for note in outcome.notes:
            log.warning("%s", note)
    aliases = sorted(version_ref(client, name, version).aliases)
    result: Result = {
        "model_name": name,
        "version": version,
        "aliases": aliases,
        "decision": decision,
        "verdict": verdict,
        "reason": reason,
        "checks": checks,
        "evidence": evidence,
        "thresholds": asdict(GateThresholds.from_settings(settings)),
        "champion_version": champion_version,
        "mlflow_url": mlflow_version_url(settings.mlflow_ui_url, name, version),
        "asset_uri": model_asset_uri(name),
        "asset_extra": {"version": version, "aliases": aliases, "decision": decision},
    }
    result["note"] = promotion_line(series_job.symbol, series_job.timeframe, result, settings.mlflow_ui_url)
    log.info("%s v%s: %s; aliases now %s", name, version, decision, aliases or "none")
    log.info("%s", result["note"])
    log.info("MLflow model version: %s", result["mlflow_url"])
    if decision == "promoted":
        from huracan.health.alerts import alert_champion_change

        alert_champion_change(settings, name, version, champion_version, reason)
    return result

"""The registered versions of one model side by side, read from MLflow only (nothing is recomputed).

One :class:`VersionRow` per version, newest first: aliases, seed, validation score, the test window,
the test-window backtest metrics of the model and of the baselines (logged by ``huracan backtest``;
empty until it has run) and the last gate decision. It is the terminal version of comparing runs in
the MLflow UI.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from huracan.errors import ModelNotFoundError
from huracan.registry import naming
from huracan.registry.keys import (
    GATE_SUMMARY,
    VersionTags,
    backtest_key,
    gate_values,
    seed_from_params,
    window_from_params,
)
from huracan.timeframes import Timeframe

MODEL_METRICS: tuple[str, ...] = ("sharpe", "total_return", "max_drawdown", "n_trades", "costs_quote")
"""Backtest metrics shown per version."""
BASELINE_METRICS: tuple[str, ...] = ("sharpe", "total_return")
"""Metrics shown per baseline."""
BASELINES: tuple[str, ...] = ("buy_and_hold", "flat", "sma_crossover", "random")


@dataclass(frozen=True)
class VersionRow:
    """One registered version.

    :param version: version number (text).
    :param aliases: its aliases.
    :param created_ms: registration time, ms UTC.
    :param run_id: its training run.
    :param seed: the seed it was trained with, or "ensemble 0,1,2" for an ensemble of seeds.
    :param validation_metric: the selection metric's name, and ``validation_score`` its value.
    :param test_start_ms: its test window, ms UTC (``test_end_ms`` excluded).
    :param backtest: ``metric -> value`` on the test window (empty when never backtested).
    :param baselines: ``baseline -> metric -> value`` on the same window.
    :param gate: ``decision`` and ``reason`` of the last gate run on it, if any.
    :param shadow: its paper record since it started deciding live (``huracan.live.shadow.ShadowRecord``
        as JSON), filled by the caller; empty before its first tick.
    """

    version: str
    aliases: tuple[str, ...]
    created_ms: int
    run_id: str
    seed: str | None
    validation_metric: str | None
    validation_score: float | None
    test_start_ms: int | None
    test_end_ms: int | None
    backtest: dict[str, float] = field(default_factory=dict)
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)
    gate: dict[str, str] = field(default_factory=dict)
    shadow: dict[str, object] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "version": self.version,
            "aliases": list(self.aliases),
            "created_ms": self.created_ms,
            "run_id": self.run_id,
            "seed": self.seed,
            "validation": {"metric": self.validation_metric, "score": self.validation_score},
            "test_window": {"start_ms": self.test_start_ms, "end_ms": self.test_end_ms},
            "backtest": self.backtest,
            "baselines": self.baselines,
            "gate": self.gate,
            "shadow": self.shadow or None,
        }


def compare_versions(client: MlflowClient, symbol: str, timeframe: Timeframe) -> list[VersionRow]:
    """Every registered version of the model of ``symbol`` ``timeframe``, newest first.

    :raises ModelNotFoundError: no such registered model.
    """
    return model_versions(client, naming.model_name(symbol, timeframe))


def model_versions(client: MlflowClient, name: str) -> list[VersionRow]:
    """Every registered version of the registered model ``name``, newest first.

    :raises ModelNotFoundError: no such registered model.
    """
    try:
        registered = client.get_registered_model(name)
    except MlflowException:
        raise ModelNotFoundError(f"no registered model {name}; train one with `huracan train`") from None
    aliases_of: dict[str, list[str]] = {}
    for alias, number in (registered.aliases or {}).items():  # search results do not carry aliases
        aliases_of.setdefault(str(number), []).append(alias)
    versions = client.search_model_versions(f"name = '{name}'", max_results=1000)
    rows = []
    for version in sorted(versions, key=lambda v: int(v.version), reverse=True):
        metrics: dict[str, float] = {}
        params: dict[str, str] = {}
        if version.run_id:
            try:
                run = client.get_run(version.run_id)
                metrics, params = dict(run.data.metrics), dict(run.data.params)
            except MlflowException:
                pass
        tags = VersionTags.from_tags(version.tags)
        test = window_from_params(params, "test")
        seed: int | str | None = tags.seed if tags.seed is not None else seed_from_params(params)
        if seed is None and params.get("seeds", "").count(",") > 0:  # the training run's ensemble of its seeds
            seed = f"ensemble {params['seeds']}"
        gate = gate_values(version.tags)
        rows.append(
            VersionRow(
                version=str(version.version),
                aliases=tuple(sorted(aliases_of.get(str(version.version), ()))),
                created_ms=int(version.creation_timestamp or 0),
                run_id=version.run_id or "",
                seed=None if seed is None else str(seed),
                validation_metric=tags.validation_metric,
                validation_score=tags.validation_score,
                test_start_ms=None if test is None else test.start_ms,
                test_end_ms=None if test is None else test.end_ms,
                backtest={key: metrics[backtest_key(key)] for key in MODEL_METRICS if backtest_key(key) in metrics},
                baselines={
                    baseline: {
                        key: metrics[backtest_key(key, baseline)]
                        for key in BASELINE_METRICS
                        if backtest_key(key, baseline) in metrics
                    }
                    for baseline in BASELINES
                },
                gate={key: gate[key] for key in GATE_SUMMARY if key in gate},
            )
        )
    return rows

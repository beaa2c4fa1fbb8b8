"""The scorecard of the default pipeline over several pairs: train, backtest out of sample, compare.

What ``huracan evaluate`` runs. For each pair it does what the training DAG does, with the same
functions: the candles come from the store, or from a CSV folder (imported into a throwaway store and
validated by the quality gate as of their last close, :func:`import_pair`); training is
:func:`huracan.registry.training.train_series` (one MLflow run per seed, the ensemble of the seeds
registered as ``challenger``); the registered version and every seed are then backtested on the test
window (never trained on, never used for selection) exactly as ``huracan backtest`` does
(:func:`huracan.registry.evaluation.evaluate`), beside the baselines (buy & hold, flat, the SMA
crossover and the random agent) with the same costs.

:class:`PairScore` holds one pair's numbers; :class:`Scorecard` counts how many pairs meet the target
of issue 16 (:meth:`Scorecard.target`): test Sharpe at least buy & hold's on two thirds of the pairs
and at least the SMA crossover's on two thirds, max drawdown below buy & hold's on nearly all
(:data:`NEARLY_ALL`), and the median test Sharpe across pairs above both baselines' medians; the
stretch goal is Sharpe at least buy & hold's with at most half its drawdown on half the pairs.

Nothing here touches the user's MLflow: :func:`isolated_settings` points MLflow, the reports and
(for CSV input) the store at a home of their own, which the caller makes throwaway or keeps.
"""

from __future__ import annotations

import logging
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huracan.clock import format_ms
from huracan.data.candle_store import CandleStore, SeriesKey
from huracan.errors import ConfigError, NoDataError
from huracan.series import symbol_slug

if TYPE_CHECKING:
    from huracan.config import Settings
    from huracan.rl.train import TrainConfig
    from huracan.timeframes import Timeframe

log = logging.getLogger(__name__)

TWO_THIRDS = 2 / 3
"""Share of the pairs whose Sharpe must reach a baseline's (buy & hold's, the SMA crossover's)."""
NEARLY_ALL = 0.85
"""Share of the pairs whose max drawdown must be below buy & hold's ("nearly all": 6 of 7)."""
STRETCH_SHARE = 0.5
"""Share of the pairs for the stretch goal (Sharpe >= buy & hold's with at most half its drawdown)."""
REPORTED = ("sharpe", "total_return", "max_drawdown", "n_trades", "costs_quote")
"""Metrics shown per pair, for the model and every baseline (see :mod:`huracan.trading.metrics`)."""
COMPARED = ("buy_and_hold", "sma_crossover", "random")
"""Baselines shown beside the model (flat is computed too, and is in the JSON)."""


def isolated_settings(settings: Settings, home: Path, own_store: bool) -> Settings:
    """``settings`` with MLflow (a SQLite file) and the reports in ``home``, and with ``own_store`` a
    SQLite store there too (else the configured store, only read)."""
    home = home.expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    update: dict[str, Any] = {"home": home, "mlflow_tracking_uri": f"sqlite:///{home / 'mlflow.db'}"}
    if own_store:
        update["db_url"] = f"sqlite:///{home / 'huracan.db'}"
    return settings.model_copy(update=update)


def csv_path(folder: Path, exchange: str, symbol: str, timeframe: Timeframe) -> Path:
    """The CSV of ``symbol`` in ``folder``: ``<exchange>_<BASE>-<QUOTE>_<tf>.csv`` (as in
    ``../shared/data``) or ``<BASE>-<QUOTE>_<tf>.csv``; :class:`NoDataError` naming both when neither is there."""
    if not folder.is_dir():
        raise NoDataError(f"--csv-dir {folder} is not a folder")
    names = [f"{exchange}_{symbol_slug(symbol)}_{timeframe.name}.csv", f"{symbol_slug(symbol)}_{timeframe.name}.csv"]
    for name in names:
        if (folder / name).is_file():
            return folder / name
    present = sorted(p.name for p in folder.glob(f"*_{timeframe.name}.csv"))
    raise NoDataError(
        f"no CSV of {symbol} {timeframe} in {folder}: expected {names[0]} or {names[1]}; "
        f"{timeframe} files there: {', '.join(present) if present else 'none'}"
    )


def import_pair(settings: Settings, path: Path, symbol: str, timeframe: Timeframe) -> SeriesKey:
    """Import the CSV at ``path`` into the store of ``settings`` and pass it through the quality gate as of
    its last candle's close (the files are history: staleness is not the question); a failed check raises
    :class:`~huracan.errors.DataQualityError` naming it."""
    from huracan.data.csv_io import import_csv
    from huracan.quality import validate_series

    key = SeriesKey(settings.exchange, symbol, timeframe.name)
    store = CandleStore.open(settings.store_url)
    count = import_csv(store, key, path)
    bounds = store.bounds(key)
    if bounds is None:
        raise NoDataError(f"{path} holds no candles")
    report = validate_series(settings, key, purpose="training", as_of_ms=bounds.last_ms + timeframe.ms, data_docs=False)
    report.raise_if_failed()
    log.info("imported %d candles of %s from %s (%s)", count, key, path, report.summary())
    return key


def stored_pair(settings: Settings, symbol: str, timeframe: Timeframe) -> SeriesKey:
    """The stored series of ``symbol``; :class:`NoDataError` naming it when the store has none."""
    key = SeriesKey(settings.exchange, symbol, timeframe.name)
    if CandleStore.open(settings.store_url).bounds(key) is None:
        raise NoDataError(
            f"no candles stored for {key}; run `huracan download -s {symbol} -t {timeframe}` "
            "(or `huracan import-csv`) first, or give --csv-dir"
        )
    return key


@dataclass(frozen=True)
class SeedScore:
    """One seed's model on the test window.

    :param seed: the seed.
    :param validation_score: its validation score (the selection metric).
    :param metrics: its test-window backtest metrics (:mod:`huracan.trading.metrics`).
    """

    seed: int
    validation_score: float
    metrics: dict[str, float]


@dataclass(frozen=True)
class PairScore:
    """One pair: the registered model, every seed, and the baselines on the same test window.

    :param symbol: unified symbol.
    :param timeframe: timeframe name.
    :param model_name: the registered model; ``version`` its challenger version.
    :param registered: what the version is ("ensemble of seeds 0, 1, 2" or "seed 0").
    :param model: the registered version's test metrics (what ``huracan backtest`` prints for the
        challenger).
    :param seeds: every seed's test numbers, in the order trained.
    :param baselines: every baseline's test metrics, by name.
    :param start_ms: first decision time of the test window, ms UTC; ``end_ms`` its end, excluded.
    :param decisions: decisions in the test window.
    :param train_s: wall time of the training (all seeds), s; ``backtest_s`` of the backtests, s.
    """

    symbol: str
    timeframe: str
    model_name: str
    version: str
    registered: str
    model: dict[str, float]
    seeds: tuple[SeedScore, ...]
    baselines: dict[str, dict[str, float]]
    start_ms: int
    end_ms: int
    decisions: int
    train_s: float
    backtest_s: float

    def seed_values(self, metric: str) -> list[float]:
        return [s.metrics[metric] for s in self.seeds]

    def meets(self) -> dict[str, bool]:
        """Which parts of the target the registered model meets on this pair: ``sharpe_vs_buy_and_hold`` (test Sharpe at
        least buy & hold's), ``sharpe_vs_sma`` (at least the SMA crossover's), ``drawdown_below_buy_and_hold``
        (max drawdown strictly below buy & hold's) and ``stretch`` (Sharpe at least buy & hold's with at most
        half its max drawdown)."""
        metrics, bh, sma = self.model, self.baselines["buy_and_hold"], self.baselines["sma_crossover"]
        vs_bh = metrics["sharpe"] >= bh["sharpe"]
        return {
            "sharpe_vs_buy_and_hold": vs_bh,
            "sharpe_vs_sma": metrics["sharpe"] >= sma["sharpe"],
            "drawdown_below_buy_and_hold": metrics["max_drawdown"] < bh["max_drawdown"],
            "stretch": vs_bh and metrics["max_drawdown"] <= 0.5 * bh["max_drawdown"],
        }

    def as_json(self) -> dict[str, Any]:
        sharpes = self.seed_values("sharpe")
        return {
            "symbol": self.symbol,
            "timeframe": self.timeframe,
            "model_name": self.model_name,
            "version": self.version,
            "registered": self.registered,
            "window": {
                "start_ms": self.start_ms,
                "end_ms": self.end_ms,
                "start": format_ms(self.start_ms),
                "end": format_ms(self.end_ms),
                "decisions": self.decisions,
            },
            "model": _finite(self.model),
            "seeds": [
                {"seed": s.seed, "validation_score": _num(s.validation_score), "test": _finite(s.metrics)}
                for s in self.seeds
            ],
            "seed_sharpe": {"min": min(sharpes), "max": max(sharpes), "std": spread(sharpes)},
            "baselines": {name: _finite(metrics) for name, metrics in self.baselines.items()},
            "meets": self.meets(),
            "train_s": round(self.train_s, 1),
            "backtest_s": round(self.backtest_s, 1),
        }


def spread(values: Sequence[float]) -> float:
    """Sample standard deviation of ``values``; 0 for fewer than two."""
    return statistics.stdev(values) if len(values) > 1 else 0.0


def _num(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _finite(metrics: dict[str, float]) -> dict[str, float | None]:
    return {key: _num(value) for key, value in metrics.items()}


@dataclass(frozen=True)
class TargetCheck:
    """One line of the target: how many pairs (or which value) and what is needed.

    :param name: what is checked.
    :param achieved: pairs meeting it (or, for the medians, 1 if met else 0).
    :param needed: pairs needed (1 for the medians).
    :param detail: the numbers, for people.
    """

    name: str
    achieved: int
    needed: int
    detail: str

    @property
    def met(self) -> bool:
        return self.achieved >= self.needed


@dataclass(frozen=True)
class Scorecard:
    """Every pair's :class:`PairScore` and the totals against the target.

    :param timeframe: timeframe name.
    :param seeds: the seeds trained per pair.
    :param timesteps: the training budget per seed.
    :param pairs: one score per pair, in the order asked.
    :param elapsed_s: wall time of the whole run, s.
    :param home: where MLflow and the reports were written.
    """

    timeframe: str
    seeds: tuple[int, ...]
    timesteps: int
    pairs: tuple[PairScore, ...]
    elapsed_s: float
    home: str = ""

    def median(self, who: str, metric: str = "sharpe") -> float:
        """Median across pairs of ``metric`` of "model" (the registered one) or a baseline (by name)."""
        values = [p.model[metric] if who == "model" else p.baselines[who][metric] for p in self.pairs]
        return float(statistics.median(values))

    def target(self) -> list[TargetCheck]:
        """The checks of the target and the stretch goal for the registered models (see the module doc)."""
        n = len(self.pairs)
        met = [p.meets() for p in self.pairs]
        two_thirds = math.ceil(TWO_THIRDS * n - 1e-9)
        mine, bh, sma = self.median("model"), self.median("buy_and_hold"), self.median("sma_crossover")
        return [
            TargetCheck("Sharpe >= buy & hold's", sum(m["sharpe_vs_buy_and_hold"] for m in met), two_thirds, f"of {n}"),
            TargetCheck("Sharpe >= SMA crossover's", sum(m["sharpe_vs_sma"] for m in met), two_thirds, f"of {n}"),
            TargetCheck(
                "max drawdown < buy & hold's",
                sum(m["drawdown_below_buy_and_hold"] for m in met),
                math.ceil(NEARLY_ALL * n - 1e-9),
                f"of {n}",
            ),
            TargetCheck(
                "median Sharpe > both baselines' medians",
                int(mine > bh and mine > sma),
                1,
                f"model {mine:.3f}, buy & hold {bh:.3f}, SMA {sma:.3f}",
            ),
            TargetCheck(
                "stretch: Sharpe >= buy & hold's with <= half its drawdown",
                sum(m["stretch"] for m in met),
                math.ceil(STRETCH_SHARE * n - 1e-9),
                f"of {n}",
            ),
        ]

    def target_met(self) -> bool:
        """All four checks of the target (not the stretch goal)."""
        return all(check.met for check in self.target()[:4])

    def as_json(self) -> dict[str, Any]:
        return {
            "timeframe": self.timeframe,
            "seeds": list(self.seeds),
            "timesteps": self.timesteps,
            "pairs": [pair.as_json() for pair in self.pairs],
            "medians": {who: _num(self.median(who)) for who in ("model", *COMPARED)},
            "target": [
                {"check": c.name, "achieved": c.achieved, "needed": c.needed, "met": c.met, "detail": c.detail}
                for c in self.target()
            ],
            "target_met": self.target_met(),
            "elapsed_s": round(self.elapsed_s, 1),
            "home": self.home,
        }


def score_pair(
    settings: Settings,
    symbol: str,
    timeframe: Timeframe,
    seeds: Sequence[int],
    train_config: TrainConfig,
) -> PairScore:
    """Train ``symbol`` with :func:`~huracan.registry.training.train_series` and backtest the registered
    version and every seed on the test window with :func:`~huracan.registry.evaluation.evaluate` (as
    ``huracan backtest --model <version or uri>``)."""
    from huracan.registry.evaluation import evaluate
    from huracan.registry.tracking import configure_tracking
    from huracan.registry.training import train_series

    trained = train_series(settings, symbol, timeframe, seeds, train_config=train_config)
    client = configure_tracking(settings)
    started = time.monotonic()
    evaluations = []
    for model in (trained.version, *(outcome.model_uri for outcome in trained.seeds)):
        evaluation = evaluate(settings, client, symbol, timeframe, model=model)
        if evaluation.warnings:  # the default window is the test window: this would be a bug
            raise RuntimeError(f"{symbol}: the backtest is not out of sample: {'; '.join(evaluation.warnings)}")
        evaluations.append(evaluation)
    version, *per_seed = evaluations
    scores = [
        SeedScore(o.seed, o.validation_score, dict(e.subject.metrics))
        for o, e in zip(trained.seeds, per_seed, strict=True)
    ]
    return PairScore(
        symbol=symbol,
        timeframe=timeframe.name,
        model_name=trained.model_name,
        version=trained.version,
        registered=trained.registered.label,
        model=dict(version.subject.metrics),
        seeds=tuple(scores),
        baselines={name: dict(result.metrics) for name, result in version.baselines.items()},
        start_ms=version.start_ms,
        end_ms=version.end_ms,
        decisions=version.end_row - version.start_row,
        train_s=trained.elapsed_s,
        backtest_s=time.monotonic() - started,
    )


def run_scorecard(
    settings: Settings,
    symbols: Sequence[str],
    timeframe: Timeframe,
    seeds: Sequence[int],
    train_config: TrainConfig,
    csv_dir: Path | None = None,
    on_pair: Callable[[PairScore], None] | None = None,
) -> Scorecard:
    """Score every pair of ``symbols`` (see the module doc) and total them.

    :param settings: already isolated (:func:`isolated_settings`): MLflow runs are written there, and with
        ``csv_dir`` the candles are imported into its store.
    :param symbols: unified symbols, one or more, distinct.
    :param seeds: the seeds trained per pair (their ensemble is registered; it and each seed are backtested).
    :param train_config: the training settings (the default pipeline's: :class:`TrainConfig`).
    :param csv_dir: a folder of CSV files (:func:`csv_path`); None reads the store.
    :param on_pair: called with each pair's score as it is done (for progress).
    :raises NoDataError: a pair has no CSV or no stored candles; checked for every pair before training.
    :raises DataQualityError: a pair's candles fail the quality gate.
    """
    if not symbols:
        raise ConfigError("give at least one --symbol")
    if len(set(symbols)) != len(symbols):
        raise ConfigError(f"symbols must be distinct, got {list(symbols)}")
    started = time.monotonic()
    if csv_dir is not None:
        paths = [csv_path(csv_dir, settings.exchange, symbol, timeframe) for symbol in symbols]  # all first
        for symbol, path in zip(symbols, paths, strict=True):
            import_pair(settings, path, symbol, timeframe)
    else:
        for symbol in symbols:
            stored_pair(settings, symbol, timeframe)
    pairs = []
    for symbol in symbols:
        pair = score_pair(settings, symbol, timeframe, seeds, train_config)
        log.info(
            "%s %s: test Sharpe %.3f (seeds %s), buy & hold %.3f, SMA %.3f; drawdown %.1f%% vs %.1f%%; %.0f s",
            symbol,
            timeframe,
            pair.model["sharpe"],
            ", ".join(f"{v:.3f}" for v in pair.seed_values("sharpe")),
            pair.baselines["buy_and_hold"]["sharpe"],
            pair.baselines["sma_crossover"]["sharpe"],
            100 * pair.model["max_drawdown"],
            100 * pair.baselines["buy_and_hold"]["max_drawdown"],
            pair.train_s + pair.backtest_s,
        )
        pairs.append(pair)
        if on_pair is not None:
            on_pair(pair)
    return Scorecard(
        timeframe=timeframe.name,
        seeds=tuple(seeds),
        timesteps=train_config.timesteps,
        pairs=tuple(pairs),
        elapsed_s=time.monotonic() - started,
        home=str(settings.home),
    )

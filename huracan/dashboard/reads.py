"""What the dashboard shows, read from MLflow (versions, gate tags, backtest metrics), the execution store
(accounts, books, orders, fills), the risk store, the live decisions (each version's paper record), the
trade memory (win/loss analysis) and the data-quality records. Reads only: nothing is written."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from huracan.config import Settings
from huracan.errors import ModelNotFoundError
from huracan.execution.orders import Fill, Order
from huracan.execution.paper import PaperBroker
from huracan.execution.store import Book, ExecutionStore
from huracan.live.decisions import DecisionStore
from huracan.live.shadow import shadow_records
from huracan.memory.analysis import analyze
from huracan.memory.round_trips import SOURCES
from huracan.memory.store import TradeMemory
from huracan.quality import ValidationRecord, latest_validation
from huracan.registry.compare import VersionRow, model_versions
from huracan.registry.keys import OWNER_TAGS, RunTags, gate_values
from huracan.registry.naming import CHALLENGER, CHAMPION, model_prefix
from huracan.risk.manager import PAPER_ACCOUNT, RiskManager
from huracan.risk.state import RiskState
from huracan.risk.status import RiskStatus, build_status
from huracan.series import SeriesKey
from huracan.timeframes import Timeframe

SHOWN_ALIASES = (CHAMPION, CHALLENGER)
"""The versions the overview shows per model."""


@dataclass(frozen=True)
class ModelPanel:
    """One registered model on the overview.

    :param name: registered model name (``huracan-BTC-USDT-1d``).
    :param rows: its champion and challenger versions (one row when both aliases point at it), newest first.
    :param books: the paper account's books of the model's symbol.
    :param symbol: the model's symbol (from its versions' training runs; None when none is shown).
    """

    name: str
    rows: tuple[VersionRow, ...]
    books: tuple[Book, ...]
    symbol: str | None = None


@dataclass(frozen=True)
class Overview:
    """The overview page: every Huracan model, the paper account's risk state, and the recorded risk state
    of every account (``accounts``, the paper account first)."""

    models: tuple[ModelPanel, ...]
    risk: RiskStatus
    currency: str
    accounts: tuple[RiskState, ...] = ()


@dataclass(frozen=True)
class ModelPage:
    """One version: its row (metrics, baselines, gate summary), every ``gate.*`` tag, the backtest plots
    logged to its run (artifact paths), its series (from the training run's tags; None when unknown) and
    the series' latest training validation, when the caller read it."""

    name: str
    row: VersionRow
    gate: dict[str, str]
    plots: tuple[str, ...]
    experiment_id: str
    series: SeriesKey | None = None
    validation: ValidationRecord | None = None


@dataclass(frozen=True)
class Trades:
    """The latest orders (newest decision first) and fills (newest first) of every account."""

    orders: tuple[Order, ...]
    fills: tuple[Fill, ...]


@dataclass(frozen=True)
class SymbolTrades:
    """The trades page of one symbol: the win/loss analysis of its round trips in the trade memory
    (:func:`huracan.memory.analysis.analyze`; ``trips`` is how many, 0: nothing recorded) and its latest
    orders of every account, newest first.

    :param source: the round trips analysed: one of :data:`~huracan.memory.round_trips.SOURCES`, or None
        for every source.
    """

    symbol: str
    source: str | None
    trips: int
    analysis: dict[str, Any]
    orders: tuple[Order, ...]


def _now_ms() -> int:
    return int(time.time() * 1000)


def huracan_models(client: MlflowClient) -> list[str]:
    """Names of the registered models Huracan created (tagged ``huracan=true``), sorted."""
    key, value = next(iter(OWNER_TAGS.items()))
    found = client.search_registered_models(filter_string=f"tags.{key} = '{value}'", max_results=1000)
    return sorted(model.name for model in found)


def _of_model(name: str, book: Book) -> bool:
    return name.startswith(model_prefix(book.symbol))


def _series(settings: Settings, tags: dict[str, str]) -> SeriesKey | None:
    """The series a training run's ``tags`` name, or None (a run not logged by ``huracan train``)."""
    try:
        run = RunTags.from_tags(tags)
    except KeyError:
        return None
    if run.symbol is None or run.timeframe is None:
        return None
    return SeriesKey(run.exchange or settings.exchange, run.symbol, run.timeframe)


def _run_series(settings: Settings, client: MlflowClient, run_id: str) -> SeriesKey | None:
    """The series of training run ``run_id``, or None (no run id, or the run is gone)."""
    if not run_id:
        return None
    try:
        return _series(settings, client.get_run(run_id).data.tags)
    except MlflowException:
        return None


def _with_paper_records(
    settings: Settings, name: str, rows: tuple[VersionRow, ...], series: SeriesKey
) -> tuple[VersionRow, ...]:
    """``rows`` with each version's paper record since it started deciding live (``VersionRow.shadow``)."""
    tf = Timeframe.parse(series.timeframe)
    records = shadow_records(settings, name, [row.version for row in rows], series.symbol, tf)
    return tuple(replace(row, shadow=records[row.version].as_json()) if row.version in records else row for row in rows)


def read_overview(settings: Settings, client: MlflowClient, account: str = PAPER_ACCOUNT) -> Overview:
    """The overview of every Huracan model (with each shown version's paper record) and ``account`` (books,
    risk state), and the risk state of every account."""
    store = ExecutionStore.open(settings.store_url)
    with store.transaction() as connection:
        books = store.books(connection, account)
    panels = []
    for name in huracan_models(client):
        rows = tuple(row for row in model_versions(client, name) if set(row.aliases) & set(SHOWN_ALIASES))
        series = _run_series(settings, client, rows[0].run_id) if rows else None
        if series is not None:
            rows = _with_paper_records(settings, name, rows, series)
        symbol = None if series is None else series.symbol
        panels.append(ModelPanel(name, rows, tuple(book for book in books if _of_model(name, book)), symbol))
    manager = RiskManager.from_settings(settings)
    snapshot = PaperBroker.from_settings(settings, account).recorded_snapshot(_now_ms())
    risk = build_status(
        manager.state(account), manager.limits, settings.account_currency, snapshot, manager.store.events(account, 5)
    )
    others = [manager.state(name) for name in manager.store.accounts() if name != account]
    return Overview(tuple(panels), risk, settings.account_currency, (manager.state(account), *others))


def read_model(settings: Settings, client: MlflowClient, name: str, version: str) -> ModelPage:
    """Version ``version`` of ``name``, with its paper record and its series' latest training validation.

    :raises ModelNotFoundError: no such model or version.
    """
    rows = [row for row in model_versions(client, name) if row.version == version]
    if not rows:
        raise ModelNotFoundError(f"{name} has no version {version!r}")
    row = rows[0]
    tags = client.get_model_version(name, version).tags
    plots: tuple[str, ...] = ()
    experiment_id = ""
    series = None
    if row.run_id:
        try:
            run = client.get_run(row.run_id)
            experiment_id = run.info.experiment_id
            series = _series(settings, run.data.tags)
            listed = client.list_artifacts(row.run_id, "backtest")
        except MlflowException:
            listed = []
        plots = tuple(sorted(a.path for a in listed if not a.is_dir and a.path.endswith(".png")))
    if series is not None:
        row = _with_paper_records(settings, name, (row,), series)[0]
    validation = None if series is None else latest_validation(settings, series)
    return ModelPage(name, row, gate_values(tags), plots, experiment_id, series, validation)


def read_trades(settings: Settings, limit: int = 200) -> Trades:
    """The latest ``limit`` orders and fills of every account."""
    store = ExecutionStore.open(settings.store_url)
    with store.transaction() as connection:
        orders = store.orders(connection, limit=limit)
        fills = store.fills(connection)
    return Trades(tuple(orders), tuple(reversed(fills[-limit:])))


def read_symbol_trades(settings: Settings, symbol: str, source: str | None = None, limit: int = 100) -> SymbolTrades:
    """The win/loss analysis of ``symbol``'s round trips (of ``source``, or every source) and its latest
    ``limit`` orders.

    :raises ValueError: ``source`` is not one of :data:`~huracan.memory.round_trips.SOURCES`.
    """
    if source is not None and source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
    trips = TradeMemory.open(settings.store_url).trips(symbol, source=source)
    store = ExecutionStore.open(settings.store_url)
    with store.transaction() as connection:
        orders = store.orders(connection, symbol=symbol, limit=limit)
    return SymbolTrades(symbol, source, len(trips), analyze(trips), tuple(orders))


def read_paper_equity(settings: Settings, page: ModelPage) -> tuple[list[int], list[float]]:
    """The decision times (ms UTC) and the paper account's equity then (quote) of ``page``'s version on
    the account of its paper record (its shadow account as challenger, ``paper`` as champion); empty
    before its first tick or when its series is unknown."""
    account = page.row.shadow.get("account")
    if page.series is None or not isinstance(account, str):
        return [], []
    history = DecisionStore.open(settings.store_url).history(account, page.series.symbol, page.series.timeframe)
    mine = [
        d
        for d in history
        if d.model_name == page.name and d.model_version == page.row.version and d.equity_quote is not None
    ]
    return [d.decision_ms for d in mine], [float(d.equity_quote) for d in mine if d.equity_quote is not None]

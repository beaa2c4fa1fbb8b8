"""What the dashboard shows, read from MLflow (versions, gate tags, backtest metrics), the execution store
(accounts, books, orders, fills) and the risk store. Reads only: nothing is written or recomputed."""

from __future__ import annotations

import time
from dataclasses import dataclass

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from huracan.config import Settings
from huracan.errors import ModelNotFoundError
from huracan.execution.orders import Fill, Order
from huracan.execution.paper import PaperBroker
from huracan.execution.store import Book, ExecutionStore
from huracan.registry.compare import VersionRow, model_versions
from huracan.registry.keys import OWNER_TAGS, gate_values
from huracan.registry.naming import CHALLENGER, CHAMPION, model_prefix
from huracan.risk.manager import PAPER_ACCOUNT, RiskManager
from huracan.risk.status import RiskStatus, build_status

SHOWN_ALIASES = (CHAMPION, CHALLENGER)
"""The versions the overview shows per model."""


@dataclass(frozen=True)
class ModelPanel:
    """One registered model on the overview.

    :param name: registered model name (``huracan-BTC-USDT-1d``).
    :param rows: its champion and challenger versions (one row when both aliases point at it), newest first.
    :param books: the paper account's books of the model's symbol.
    """

    name: str
    rows: tuple[VersionRow, ...]
    books: tuple[Book, ...]


@dataclass(frozen=True)
class Overview:
    """The overview page: every Huracan model, and the paper account's risk state."""

    models: tuple[ModelPanel, ...]
    risk: RiskStatus
    currency: str


@dataclass(frozen=True)
class ModelPage:
    """One version: its row (metrics, baselines, gate summary), every ``gate.*`` tag, and the backtest
    plots logged to its run (artifact paths)."""

    name: str
    row: VersionRow
    gate: dict[str, str]
    plots: tuple[str, ...]
    experiment_id: str


@dataclass(frozen=True)
class Trades:
    """The latest orders (newest decision first) and fills (newest first) of every account."""

    orders: tuple[Order, ...]
    fills: tuple[Fill, ...]


def _now_ms() -> int:
    return int(time.time() * 1000)


def huracan_models(client: MlflowClient) -> list[str]:
    """Names of the registered models Huracan created (tagged ``huracan=true``), sorted."""
    key, value = next(iter(OWNER_TAGS.items()))
    found = client.search_registered_models(filter_string=f"tags.{key} = '{value}'", max_results=1000)
    return sorted(model.name for model in found)


def _of_model(name: str, book: Book) -> bool:
    return name.startswith(model_prefix(book.symbol))


def read_overview(settings: Settings, client: MlflowClient, account: str = PAPER_ACCOUNT) -> Overview:
    """The overview of every Huracan model and ``account`` (books, risk state)."""
    store = ExecutionStore.open(settings.store_url)
    with store.transaction() as connection:
        books = store.books(connection, account)
    panels = []
    for name in huracan_models(client):
        rows = tuple(row for row in model_versions(client, name) if set(row.aliases) & set(SHOWN_ALIASES))
        panels.append(ModelPanel(name, rows, tuple(book for book in books if _of_model(name, book))))
    manager = RiskManager.from_settings(settings)
    snapshot = PaperBroker.from_settings(settings, account).recorded_snapshot(_now_ms())
    risk = build_status(
        manager.state(account), manager.limits, settings.account_currency, snapshot, manager.store.events(account, 5)
    )
    return Overview(tuple(panels), risk, settings.account_currency)


def read_model(client: MlflowClient, name: str, version: str) -> ModelPage:
    """Version ``version`` of ``name``.

    :raises ModelNotFoundError: no such model or version.
    """
    rows = [row for row in model_versions(client, name) if row.version == version]
    if not rows:
        raise ModelNotFoundError(f"{name} has no version {version!r}")
    row = rows[0]
    tags = client.get_model_version(name, version).tags
    plots: tuple[str, ...] = ()
    experiment_id = ""
    if row.run_id:
        try:
            experiment_id = client.get_run(row.run_id).info.experiment_id
            listed = client.list_artifacts(row.run_id, "backtest")
        except MlflowException:
            listed = []
        plots = tuple(sorted(a.path for a in listed if not a.is_dir and a.path.endswith(".png")))
    return ModelPage(name, row, gate_values(tags), plots, experiment_id)


def read_trades(settings: Settings, limit: int = 200) -> Trades:
    """The latest ``limit`` orders and fills of every account."""
    store = ExecutionStore.open(settings.store_url)
    with store.transaction() as connection:
        orders = store.orders(connection, limit=limit)
        fills = store.fills(connection)
    return Trades(tuple(orders), tuple(reversed(fills[-limit:])))

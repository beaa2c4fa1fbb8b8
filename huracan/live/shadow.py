"""Shadow evidence: how each registered version has traded on paper since it started deciding live.

A challenger decides every tick for its own paper account ``shadow:<model>/<version>``; the champion for
the ``paper`` account. From the recorded decisions (:mod:`huracan.live.decisions`) of a version, this
module gives its paper record: ticks, first tick, total return, annualised Sharpe (the backtest's formula,
:func:`huracan.trading.metrics.compute_metrics`, on the equity at each tick) and orders placed.
``huracan compare`` shows it per version, and the promotion gate can require it
(``HURACAN_PROMOTE_MIN_SHADOW_TICKS``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from huracan.live.decisions import DecisionStore
from huracan.trading.metrics import compute_metrics

if TYPE_CHECKING:
    from huracan.config import Settings
    from huracan.timeframes import Timeframe


@dataclass(frozen=True)
class ShadowRecord:
    """A version's paper record.

    :param version: the registered version.
    :param account: the paper account it traded (``shadow:...`` as challenger, ``paper`` as champion).
    :param ticks: decisions recorded.
    :param since_ms: its first decision, ms UTC.
    :param total_return: equity at the last tick over equity at the first, minus 1, fraction.
    :param sharpe: annualised Sharpe of the returns between ticks (0 with fewer than 3 ticks).
    :param orders: decisions that placed an order (approved or resized).
    """

    version: str
    account: str
    ticks: int
    since_ms: int
    total_return: float
    sharpe: float
    orders: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


SHADOW_PREFIX = "shadow:"


def shadow_account(model_name: str, version: str) -> str:
    """The paper account a challenger version trades in shadow."""
    return f"{SHADOW_PREFIX}{model_name}/{version}"[:64]


def version_record(
    decisions: DecisionStore, model_name: str, version: str, symbol: str, timeframe: Timeframe
) -> ShadowRecord | None:
    """The paper record of ``version``: its shadow account's decisions, else its decisions on ``paper``
    (as champion, or run by hand); ``None`` before its first tick."""
    for account in (shadow_account(model_name, version), "paper"):
        mine = [
            d
            for d in decisions.history(account, symbol, timeframe.name)
            if d.model_name == model_name and d.model_version == version and d.equity_quote is not None
        ]
        if mine:
            equity = np.array([d.equity_quote for d in mine], dtype=np.float64)
            levels = np.array([d.action for d in mine[1:]], dtype=np.int64)
            metrics = compute_metrics(equity, levels, timeframe, 0.0, 0.0)
            orders = sum(1 for d in mine if d.verdict in ("approved", "resized"))
            return ShadowRecord(
                version, account, len(mine), mine[0].decision_ms, metrics["total_return"], metrics["sharpe"], orders
            )
    return None


def shadow_records(
    settings: Settings, model_name: str, versions: Iterable[str], symbol: str, timeframe: Timeframe
) -> dict[str, ShadowRecord]:
    """The paper record of each of ``versions`` that has one."""
    decisions = DecisionStore.open(settings.store_url)
    found = {version: version_record(decisions, model_name, version, symbol, timeframe) for version in versions}
    return {version: record for version, record in found.items() if record is not None}


def gate_shadow(settings: Settings, model_name: str, symbol: str, timeframe: Timeframe) -> dict[str, tuple[int, float]]:
    """``version -> (ticks, Sharpe)`` of every version that has decided live, for the promotion gate."""
    decisions = DecisionStore.open(settings.store_url)
    versions = decisions.versions(model_name, symbol, timeframe.name)
    return {
        v: (r.ticks, r.sharpe) for v, r in shadow_records(settings, model_name, versions, symbol, timeframe).items()
    }

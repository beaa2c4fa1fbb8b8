"""Apply the promotion gate to the ``challenger``, and roll the ``champion`` back.

:func:`promote` measures, on the challenger's test window and with its cost model, the challenger,
the current champion, buy & hold and every seed model trained with the challenger, asks
:func:`huracan.registry.gate.decide`, records the decision on the challenger's version (``gate.*``
tags) and, when it passed, moves the aliases:

- ``champion`` -> the challenger; the ``challenger`` alias is removed (that version now trades);
- ``previous_champion`` -> the replaced champion, also written as the new champion's version tag
  ``huracan.previous_champion`` (the chain :func:`rollback` walks back).

A rejected challenger keeps its ``challenger`` alias and never trades. ``dry_run`` writes nothing.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from huracan.clock import format_ms
from huracan.config import Settings
from huracan.data.candle_store import SeriesKey
from huracan.errors import PromotionError
from huracan.registry import naming
from huracan.registry.evaluation import backtest_model, decision_rows, load_market_data
from huracan.registry.gate import GateDecision, GateEvidence, GateThresholds, decide, decision_tags
from huracan.registry.keys import RunTags, VersionTags, seed_runs_filter
from huracan.registry.models import ModelRef, alias_ref, load_policy, version_ref
from huracan.timeframes import Timeframe
from huracan.trading.market_data import MarketData

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PromotionOutcome:
    """What :func:`promote` found and did.

    :param challenger: the version judged.
    :param champion: the champion it was compared with (None: there was none).
    :param evidence: the numbers compared.
    :param decision: the verdict and its checks.
    :param applied: aliases and tags were written (False on a dry run).
    :param notes: caveats about the comparison (e.g. the champion trained on part of the window).
    """

    challenger: ModelRef
    champion: ModelRef | None
    evidence: GateEvidence
    decision: GateDecision
    applied: bool
    notes: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        """``promoted`` or ``rejected`` when applied, ``not applied`` on a dry run."""
        return self.decision.label if self.applied else "not applied"


@dataclass(frozen=True)
class RollbackOutcome:
    """The champion before (``demoted``) and after (``restored``) a rollback."""

    demoted: ModelRef
    restored: ModelRef


def _seed_sharpes(
    client: MlflowClient, challenger: ModelRef, data: MarketData, start_row: int, end_row: int, own: float
) -> tuple[float, ...]:
    """Test Sharpe of every seed model of the challenger's training group (its own result reused)."""
    own_run = client.get_run(challenger.run_id)
    try:
        group = RunTags.from_tags(own_run.data.tags).group_id
    except KeyError:  # not a training run's seed: nothing to compare with
        return (own,)
    runs = client.search_runs([own_run.info.experiment_id], filter_string=seed_runs_filter(group), max_results=1000)
    sharpes = []
    for run in runs:
        if run.info.run_id == challenger.run_id:
            sharpes.append(own)
            continue
        uri = RunTags.from_tags(run.data.tags).model_uri
        if not uri:
            continue
        ref = ModelRef(uri=uri, run_id=run.info.run_id, params=dict(run.data.params))
        sharpes.append(backtest_model(data, ref, start_row, end_row, challenger.env_config()).metrics["sharpe"])
    return tuple(sharpes) or (own,)


def _overlap_note(champion: ModelRef, start_ms: int, end_ms: int) -> str | None:
    try:
        seen_until = champion.window("validation").end_ms
    except Exception:  # an old run without a recorded split: nothing to compare
        return None
    if seen_until > start_ms:
        return (
            f"the champion was trained or selected on data up to {format_ms(seen_until)}, inside the window "
            f"{format_ms(start_ms)} .. {format_ms(end_ms)}: the comparison favours the champion"
        )
    return None


def promote(
    settings: Settings,
    client: MlflowClient,
    symbol: str,
    timeframe: Timeframe,
    dry_run: bool = False,
    version: str | None = None,
    shadow: Mapping[str, tuple[int, float]] | None = None,
) -> PromotionOutcome:
    """Run the gate on the ``challenger`` of ``symbol`` ``timeframe`` and promote it if it passes.

    :param dry_run: decide and report, write nothing.
    :param version: the version expected to be the challenger (a DAG run judges the version it trained);
        None: whichever is.
    :param shadow: each version's paper record as ``version -> (ticks, Sharpe)`` (``huracan.live.shadow``);
        the gate's ``shadow_period`` check reads the challenger's and the champion's.
    :raises PromotionError: there is no challenger, it is not ``version``, or it already is the champion.
    """
    from huracan.trading.baselines import buy_and_hold

    name = naming.model_name(symbol, timeframe)
    challenger = alias_ref(client, name, naming.CHALLENGER)
    if version is not None and (challenger is None or challenger.version != version):
        current = f"v{challenger.version}" if challenger is not None else "no version"
        raise PromotionError(f"{name} v{version} is no longer the challenger ({current} is); it was not judged")
    if challenger is None:
        raise PromotionError(f"{name} has no {naming.CHALLENGER}; train one with `huracan train`")
    champion = alias_ref(client, name, naming.CHAMPION)
    if champion is not None and champion.version == challenger.version:
        raise PromotionError(f"{challenger.label} is already the champion")
    window = challenger.window("test")
    key = SeriesKey(settings.exchange, symbol, timeframe.name)
    data = load_market_data(settings, key, window.start_ms, window.end_ms)
    start_row, end_row = decision_rows(data, window.start_ms, window.end_ms)
    env_config = challenger.env_config()
    policy = load_policy(challenger)
    result = backtest_model(data, challenger, start_row, end_row, env_config, policy)
    bh = buy_and_hold(data, start_row, end_row, env_config)
    champion_sharpe = None
    notes = []
    if champion is not None:
        champion_sharpe = backtest_model(data, champion, start_row, end_row, env_config).metrics["sharpe"]
        note = _overlap_note(champion, window.start_ms, window.end_ms)
        if note:
            notes.append(note)
    evidence = GateEvidence(
        window_start_ms=int(result.times_ms[0]),
        window_end_ms=int(result.times_ms[-1]),
        challenger_sharpe=result.metrics["sharpe"],
        challenger_max_drawdown=result.metrics["max_drawdown"],
        buy_and_hold_sharpe=bh.metrics["sharpe"],
        champion_sharpe=champion_sharpe,
        seed_sharpes=_seed_sharpes(client, challenger, data, start_row, end_row, result.metrics["sharpe"]),
        **_shadow_evidence(shadow or {}, challenger, champion),
    )
    thresholds = GateThresholds.from_settings(settings)
    decision = decide(evidence, thresholds)
    log.info("%s: %s", challenger.label, decision.reason)
    if not dry_run:
        tags = decision_tags(
            decision,
            evidence,
            thresholds,
            evaluated_at=datetime.now(tz=UTC).isoformat(timespec="seconds"),
            champion_version=champion.version if champion is not None and champion.version else "none",
            note=" | ".join(notes) or None,
        )
        for tag, value in tags.items():
            client.set_model_version_tag(name, str(challenger.version), tag, value)
        if decision.promote:
            _make_champion(client, name, challenger, champion)
    return PromotionOutcome(challenger, champion, evidence, decision, applied=not dry_run, notes=tuple(notes))


def _shadow_evidence(
    shadow: Mapping[str, tuple[int, float]], challenger: ModelRef, champion: ModelRef | None
) -> dict[str, Any]:
    ticks, sharpe = shadow.get(str(challenger.version), (0, None))
    champion_record = shadow.get(str(champion.version)) if champion is not None else None
    return {
        "shadow_ticks": ticks,
        "shadow_sharpe": sharpe,
        "champion_shadow_sharpe": None if champion_record is None else champion_record[1],
    }


def _make_champion(client: MlflowClient, name: str, new: ModelRef, old: ModelRef | None) -> None:
    version = str(new.version)
    if old is not None:
        for tag, value in VersionTags(previous_champion=str(old.version)).to_tags().items():
            client.set_model_version_tag(name, version, tag, value)
        client.set_registered_model_alias(name, naming.PREVIOUS_CHAMPION, str(old.version))
    client.set_registered_model_alias(name, naming.CHAMPION, version)
    client.delete_registered_model_alias(name, naming.CHALLENGER)
    log.info("%s v%s is the champion (was %s)", name, version, f"v{old.version}" if old else "none")


def rollback(client: MlflowClient, symbol: str, timeframe: Timeframe) -> RollbackOutcome:
    """Make the champion's predecessor the champion again.

    The demoted version is tagged ``huracan.rolled_back_at``; ``previous_champion`` then points one step
    further back (or is removed). The demoted version does not become the challenger again.

    :raises PromotionError: no champion, or the champion replaced none.
    """
    name = naming.model_name(symbol, timeframe)
    current = alias_ref(client, name, naming.CHAMPION)
    if current is None:
        raise PromotionError(f"{name} has no {naming.CHAMPION} to roll back")
    previous = current.version_tags.previous_champion
    if not previous:
        raise PromotionError(f"{current.label} replaced no earlier champion; there is nothing to roll back to")
    restored = version_ref(client, name, previous)
    client.set_registered_model_alias(name, naming.CHAMPION, str(restored.version))
    earlier = restored.version_tags.previous_champion
    if earlier:
        client.set_registered_model_alias(name, naming.PREVIOUS_CHAMPION, earlier)
    else:
        with contextlib.suppress(MlflowException):
            client.delete_registered_model_alias(name, naming.PREVIOUS_CHAMPION)
    now = datetime.now(tz=UTC).isoformat(timespec="seconds")
    for tag, value in VersionTags(rolled_back_at=now).to_tags().items():
        client.set_model_version_tag(name, str(current.version), tag, value)
    log.info("%s: champion rolled back from v%s to v%s", name, current.version, restored.version)
    return RollbackOutcome(
        demoted=version_ref(client, name, str(current.version)),
        restored=version_ref(client, name, str(restored.version)),
    )

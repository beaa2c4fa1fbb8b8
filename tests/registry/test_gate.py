"""The promotion gate's pure decision: every check, its reasons and its tags."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huracan.config import Settings
from huracan.registry.gate import GateDecision, GateEvidence, GateThresholds, decide, decision_tags

LIMITS = GateThresholds(max_drawdown_frac=0.3, min_sharpe_margin=0.1)


def evidence(**changes: object) -> GateEvidence:
    values: dict[str, object] = {
        "window_start_ms": 0,
        "window_end_ms": 86_400_000,
        "challenger_sharpe": 2.0,
        "challenger_max_drawdown": 0.2,
        "buy_and_hold_sharpe": 1.0,
        "champion_sharpe": 1.5,
        "seed_sharpes": (),
    }
    values.update(changes)
    return GateEvidence(**values)  # type: ignore[arg-type]


def failed(decision: GateDecision) -> set[str]:
    return {check.name for check in decision.checks if not check.passed}


def test_a_better_challenger_is_promoted_with_every_number_in_the_reason() -> None:
    decision = decide(evidence(), LIMITS)
    assert decision.promote and decision.label == "promoted"
    assert [c.name for c in decision.checks] == [
        "beats_champion",
        "beats_buy_and_hold",
        "beats_flat",
        "max_drawdown",
        "median_seed",
    ]
    assert "2.000 > champion 1.500 + margin 0.1" in decision.reason
    assert "buy & hold 1.000" in decision.reason and "20.0% <= limit 30.0%" in decision.reason


@pytest.mark.parametrize(
    ("changes", "failing"),
    [
        ({"challenger_sharpe": 1.55}, {"beats_champion"}),  # better, but not by the margin
        ({"champion_sharpe": 2.5}, {"beats_champion"}),
        ({"buy_and_hold_sharpe": 1.95, "champion_sharpe": None}, {"beats_buy_and_hold"}),
        ({"challenger_max_drawdown": 0.31}, {"max_drawdown"}),
        ({"challenger_sharpe": 0.5}, {"beats_champion", "beats_buy_and_hold"}),
        ({"seed_sharpes": (2.0, 1.2, 1.3)}, {"median_seed"}),  # the registered seed was the lucky one
        ({"challenger_sharpe": math.nan}, {"beats_champion", "beats_buy_and_hold", "beats_flat"}),
        # losing less than buy & hold is not enough: staying flat would have lost nothing
        ({"challenger_sharpe": -0.5, "buy_and_hold_sharpe": -1.5, "champion_sharpe": None}, {"beats_flat"}),
        ({"challenger_sharpe": 0.05, "buy_and_hold_sharpe": -1.0, "champion_sharpe": None}, {"beats_flat"}),
        ({"challenger_max_drawdown": math.nan}, {"max_drawdown"}),
    ],
)
def test_a_worse_challenger_is_refused_naming_every_failed_check(changes: dict, failing: set[str]) -> None:
    decision = decide(evidence(**changes), LIMITS)
    assert not decision.promote and decision.label == "rejected"
    assert failed(decision) == failing
    assert decision.reason.startswith("rejected: ")
    assert all(check.detail in decision.reason for check in decision.checks if not check.passed)


def test_without_a_champion_buy_and_hold_and_drawdown_decide() -> None:
    decision = decide(evidence(champion_sharpe=None), LIMITS)
    assert decision.promote and decision.checks[0].detail == "no champion yet"


def test_the_median_seed_must_beat_the_champion_too() -> None:
    assert decide(evidence(seed_sharpes=(1.7, 2.0, 2.2)), LIMITS).promote
    assert failed(decide(evidence(seed_sharpes=(1.55, 2.0, 1.0)), LIMITS)) == {"median_seed"}


@settings(database=None)  # no .hypothesis/ in the working directory
@given(
    challenger=st.floats(-5, 5),
    champion=st.one_of(st.none(), st.floats(-5, 5)),
    bh=st.floats(-5, 5),
    drawdown=st.floats(0, 1),
    margin=st.floats(0, 1),
)
def test_promotes_exactly_when_it_beats_champion_buy_and_hold_and_flat_within_the_drawdown(
    challenger: float, champion: float | None, bh: float, drawdown: float, margin: float
) -> None:
    limits = GateThresholds(max_drawdown_frac=0.4, min_sharpe_margin=margin)
    decision = decide(
        evidence(
            challenger_sharpe=challenger,
            champion_sharpe=champion,
            buy_and_hold_sharpe=bh,
            challenger_max_drawdown=drawdown,
        ),
        limits,
    )
    expected = (
        challenger > bh + margin
        and challenger > margin  # beats flat (Sharpe 0)
        and (champion is None or challenger > champion + margin)
        and drawdown <= 0.4
    )
    assert decision.promote == expected


def test_tags_hold_the_decision_the_numbers_and_each_check() -> None:
    decision = decide(evidence(challenger_max_drawdown=0.5), LIMITS)
    tags = decision_tags(decision, evidence(challenger_max_drawdown=0.5), LIMITS, champion_version="3")
    assert tags["gate.decision"] == "rejected"
    assert tags["gate.reason"] == decision.reason
    assert tags["gate.challenger_sharpe"] == "2" and tags["gate.champion_sharpe"] == "1.5"
    assert tags["gate.check.max_drawdown"] == "failed" and tags["gate.check.beats_champion"] == "passed"
    assert tags["gate.max_drawdown_limit"] == "0.3" and tags["gate.champion_version"] == "3"


def test_thresholds_come_from_settings(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, promote_max_drawdown_frac=0.25, promote_min_sharpe_margin=0.2)
    assert GateThresholds.from_settings(settings) == GateThresholds(0.25, 0.2)
    with pytest.raises(ValueError, match="max_drawdown_frac"):
        GateThresholds(max_drawdown_frac=0.0)


def test_the_shadow_period_is_off_by_default_and_when_on_needs_ticks_and_the_champions_paper_sharpe() -> None:
    assert "shadow_period" not in {c.name for c in decide(evidence(), LIMITS).checks}
    strict = GateThresholds(max_drawdown_frac=0.3, min_sharpe_margin=0.1, min_shadow_ticks=24)
    too_short = decide(evidence(shadow_ticks=10, shadow_sharpe=3.0, champion_shadow_sharpe=1.0), strict)
    assert not too_short.promote and failed(too_short) == {"shadow_period"}
    assert "10 shadow ticks < the 24 required" in too_short.reason
    worse = decide(evidence(shadow_ticks=30, shadow_sharpe=0.5, champion_shadow_sharpe=1.0), strict)
    assert failed(worse) == {"shadow_period"} and "shadow Sharpe 0.500 < champion on paper 1.000" in worse.reason
    better = decide(evidence(shadow_ticks=30, shadow_sharpe=1.0, champion_shadow_sharpe=1.0), strict)
    assert better.promote  # at least the champion's
    first = decide(evidence(champion_sharpe=None, shadow_ticks=30, shadow_sharpe=-0.2), strict)
    assert first.promote  # no champion record to beat
    tags = decision_tags(better, evidence(shadow_ticks=30, shadow_sharpe=1.0, champion_shadow_sharpe=1.0), strict)
    assert tags["gate.shadow_ticks"] == "30" and tags["gate.min_shadow_ticks"] == "24"
    assert tags["gate.check.shadow_period"] == "passed"
    with pytest.raises(ValueError, match="min_shadow_ticks >= 0"):
        GateThresholds(min_shadow_ticks=-1)

"""The promotion gate as a pure decision: evidence and thresholds in, a decision with its reasons out.

A challenger becomes champion only if, on one out-of-sample window (the challenger's test window,
never trained on or selected on):

| check               | passes when                                                                      |
|---------------------|----------------------------------------------------------------------------------|
| `beats_champion`    | challenger Sharpe > champion Sharpe + margin (passes when there is no champion)  |
| `beats_buy_and_hold`| challenger Sharpe > buy & hold Sharpe + margin                                   |
| `beats_flat`        | challenger Sharpe > 0 + margin (staying flat has Sharpe 0: a model that loses   |
|                     | money never trades, even when buy & hold loses more)                             |
| `max_drawdown`      | challenger max drawdown <= the limit                                             |
| `median_seed`       | the median test Sharpe of the challenger's seeds beats the champion and buy & hold by |
|                     | the margin too (passes with a single seed, where the checks above say it all)    |
| `shadow_period`     | only with ``HURACAN_PROMOTE_MIN_SHADOW_TICKS`` > 0 (off by default, so offline runs  |
|                     | promote on backtests): the challenger traded its shadow paper account for at least |
|                     | that many ticks with a shadow Sharpe at least the champion's paper Sharpe        |

A NaN Sharpe or drawdown fails its check. Every check is evaluated and reported, so a rejection lists
all its reasons. Thresholds come from settings (``HURACAN_PROMOTE_MAX_DRAWDOWN_FRAC``,
``HURACAN_PROMOTE_MIN_SHARPE_MARGIN``).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from huracan.config import Settings
from huracan.registry.keys import gate_tags

#: Sharpe ratio of the flat baseline: constant equity, no returns.
FLAT_SHARPE = 0.0


@dataclass(frozen=True)
class GateThresholds:
    """Thresholds of the promotion gate.

    :param max_drawdown_frac: largest allowed maximum drawdown of the challenger, fraction in (0, 1].
    :param min_sharpe_margin: how much the challenger's Sharpe must exceed the others', >= 0.
    :param min_shadow_ticks: ticks the challenger must have traded in shadow before it may be promoted, >= 0;
        0 switches the shadow check off.
    """

    max_drawdown_frac: float = 0.5
    min_sharpe_margin: float = 0.0
    min_shadow_ticks: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.max_drawdown_frac <= 1.0 or not self.min_sharpe_margin >= 0.0 or self.min_shadow_ticks < 0:
            raise ValueError(
                f"need max_drawdown_frac in (0, 1], min_sharpe_margin >= 0 and min_shadow_ticks >= 0, got {self}"
            )

    @classmethod
    def from_settings(cls, settings: Settings) -> GateThresholds:
        return cls(
            settings.promote_max_drawdown_frac, settings.promote_min_sharpe_margin, settings.promote_min_shadow_ticks
        )


@dataclass(frozen=True)
class GateEvidence:
    """The numbers the gate compares, all measured on the same window.

    :param window_start_ms: first decision time of the window, ms UTC.
    :param window_end_ms: end of the window (excluded), ms UTC.
    :param challenger_sharpe: annualised Sharpe of the challenger (the registered, median-validation seed).
    :param challenger_max_drawdown: its maximum drawdown, fraction >= 0.
    :param buy_and_hold_sharpe: annualised Sharpe of buy & hold.
    :param champion_sharpe: annualised Sharpe of the current champion; None when there is none.
    :param seed_sharpes: test Sharpe of each seed model trained with the challenger (empty or one value:
        a single seed).
    :param shadow_ticks: ticks the challenger has traded on its shadow paper account (0: none).
    :param shadow_sharpe: its annualised Sharpe there, or None without ticks.
    :param champion_shadow_sharpe: the champion's annualised Sharpe on the paper account since it became
        champion, or None (no champion, or no tick yet).
    """

    window_start_ms: int
    window_end_ms: int
    challenger_sharpe: float
    challenger_max_drawdown: float
    buy_and_hold_sharpe: float
    champion_sharpe: float | None = None
    seed_sharpes: tuple[float, ...] = ()
    shadow_ticks: int = 0
    shadow_sharpe: float | None = None
    champion_shadow_sharpe: float | None = None

    @property
    def median_seed_sharpe(self) -> float | None:
        """Median of :attr:`seed_sharpes`, or None with fewer than two seeds."""
        return statistics.median(self.seed_sharpes) if len(self.seed_sharpes) >= 2 else None


@dataclass(frozen=True)
class GateCheck:
    """One check: its name, whether it passed, and the numbers behind it in words."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class GateDecision:
    """The gate's verdict: ``promote`` only when every check passed; ``reason`` says why in one line."""

    promote: bool
    checks: tuple[GateCheck, ...]
    reason: str

    @property
    def label(self) -> str:
        return "promoted" if self.promote else "rejected"


def _beats(value: float, other: float, margin: float) -> bool:
    return not math.isnan(value) and not math.isnan(other) and value > other + margin


def decide(evidence: GateEvidence, thresholds: GateThresholds) -> GateDecision:
    """Apply the gate's checks (see the module doc) to ``evidence``."""
    margin = thresholds.min_sharpe_margin
    sharpe = evidence.challenger_sharpe
    plus = f" + margin {margin:g}" if margin else ""
    checks = []
    champion = evidence.champion_sharpe
    if champion is None:
        checks.append(GateCheck("beats_champion", True, "no champion yet"))
    else:
        ok = _beats(sharpe, champion, margin)
        detail = f"Sharpe {sharpe:.3f} {'>' if ok else '<='} champion {champion:.3f}{plus}"
        checks.append(GateCheck("beats_champion", ok, detail))
    bh = evidence.buy_and_hold_sharpe
    ok = _beats(sharpe, bh, margin)
    detail = f"Sharpe {sharpe:.3f} {'>' if ok else '<='} buy & hold {bh:.3f}{plus}"
    checks.append(GateCheck("beats_buy_and_hold", ok, detail))
    ok = _beats(sharpe, FLAT_SHARPE, margin)
    checks.append(
        GateCheck("beats_flat", ok, f"Sharpe {sharpe:.3f} {'>' if ok else '<='} flat {FLAT_SHARPE:.3f}{plus}")
    )
    dd, limit = evidence.challenger_max_drawdown, thresholds.max_drawdown_frac
    ok = not math.isnan(dd) and dd <= limit
    checks.append(GateCheck("max_drawdown", ok, f"max drawdown {dd:.1%} {'<=' if ok else '>'} limit {limit:.1%}"))
    median = evidence.median_seed_sharpe
    if median is None:
        checks.append(GateCheck("median_seed", True, "single seed"))
    else:
        bar = max(bh, FLAT_SHARPE) if champion is None else max(bh, FLAT_SHARPE, champion)
        ok = _beats(median, bar, margin)
        n = len(evidence.seed_sharpes)
        detail = f"median Sharpe of {n} seeds {median:.3f} {'>' if ok else '<='} {bar:.3f}{plus}"
        checks.append(GateCheck("median_seed", ok, detail))
    if thresholds.min_shadow_ticks:
        checks.append(_shadow_check(evidence, thresholds.min_shadow_ticks))
    failed = [check for check in checks if not check.passed]
    if failed:
        reason = "rejected: " + "; ".join(check.detail for check in failed)
    else:
        reason = "promoted: " + "; ".join(check.detail for check in checks)
    return GateDecision(not failed, tuple(checks), reason)


def _shadow_check(evidence: GateEvidence, min_ticks: int) -> GateCheck:
    ticks, sharpe, champion = evidence.shadow_ticks, evidence.shadow_sharpe, evidence.champion_shadow_sharpe
    if ticks < min_ticks or sharpe is None:
        return GateCheck("shadow_period", False, f"{ticks} shadow ticks < the {min_ticks} required")
    if champion is None:
        return GateCheck("shadow_period", True, f"{ticks} shadow ticks, shadow Sharpe {sharpe:.3f}, no champion record")
    ok = not math.isnan(sharpe) and sharpe >= champion
    detail = f"{ticks} shadow ticks, shadow Sharpe {sharpe:.3f} {'>=' if ok else '<'} champion on paper {champion:.3f}"
    return GateCheck("shadow_period", ok, detail)


def decision_tags(
    decision: GateDecision,
    evidence: GateEvidence,
    thresholds: GateThresholds,
    evaluated_at: str | None = None,
    champion_version: str | None = None,
    note: str | None = None,
) -> dict[str, str]:
    """Model-version tags recording a decision: ``gate.decision``, ``gate.reason``, every number compared
    and every check (``gate.check.<name>`` = ``passed``/``failed``).

    :param evaluated_at: when the gate ran, ISO-8601 UTC (``gate.evaluated_at``), if given.
    :param champion_version: the champion compared with, or "none" (``gate.champion_version``), if given.
    :param note: caveats about the comparison (``gate.note``), if any.
    """
    given = {"evaluated_at": evaluated_at, "champion_version": champion_version, "note": note}

    def number(value: float | None) -> str:
        return "none" if value is None else f"{value:.6g}"

    tags = {
        "decision": decision.label,
        "reason": decision.reason,
        "window_start_ms": str(evidence.window_start_ms),
        "window_end_ms": str(evidence.window_end_ms),
        "challenger_sharpe": number(evidence.challenger_sharpe),
        "challenger_max_drawdown": number(evidence.challenger_max_drawdown),
        "buy_and_hold_sharpe": number(evidence.buy_and_hold_sharpe),
        "champion_sharpe": number(evidence.champion_sharpe),
        "median_seed_sharpe": number(evidence.median_seed_sharpe),
        "seed_sharpes": ",".join(f"{value:.6g}" for value in evidence.seed_sharpes),
        "shadow_ticks": str(evidence.shadow_ticks),
        "shadow_sharpe": number(evidence.shadow_sharpe),
        "champion_shadow_sharpe": number(evidence.champion_shadow_sharpe),
        "min_shadow_ticks": str(thresholds.min_shadow_ticks),
        "max_drawdown_limit": number(thresholds.max_drawdown_frac),
        "min_sharpe_margin": number(thresholds.min_sharpe_margin),
        **{f"check.{check.name}": "passed" if check.passed else "failed" for check in decision.checks},
        **{key: value for key, value in given.items() if value is not None},
    }
    return gate_tags(tags)

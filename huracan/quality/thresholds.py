"""What a validation is for, and the thresholds it applies.

Each threshold is defined once, as a setting of :class:`huracan.config.Settings` (``quality_<name>``, or
``quality_<name>_<purpose>`` when it differs by purpose, like ``min_rows``): its default, its bounds, its
unit and meaning. :class:`QualityThresholds` holds one value per threshold, read from those settings and
checked against the same bounds; the gate hands them to the suite by name (:meth:`QualityThresholds.to_dict`).
Adding a threshold is a setting, a field here, and the check that uses it.
"""

from __future__ import annotations

import operator
from dataclasses import asdict, dataclass, fields, replace
from enum import StrEnum
from typing import Any

from huracan.config import Settings
from huracan.errors import ConfigError


class Purpose(StrEnum):
    """What the validated candles are for. Staleness blocks live use; for training it is a warning."""

    TRAINING = "training"
    LIVE = "live"

    @classmethod
    def parse(cls, value: str | Purpose) -> Purpose:
        """``value`` as a Purpose; :class:`ConfigError` naming the allowed values otherwise."""
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(p.value for p in cls)
            raise ConfigError(f"unknown purpose {value!r}; use one of: {allowed}") from None


def setting_name(threshold: str, purpose: Purpose) -> str:
    """The :class:`Settings` field holding ``threshold`` for ``purpose``."""
    specific = f"quality_{threshold}_{purpose.value}"
    return specific if specific in Settings.model_fields else f"quality_{threshold}"


_BOUNDS = (("ge", operator.ge, ">="), ("gt", operator.gt, ">"), ("le", operator.le, "<="), ("lt", operator.lt, "<"))


def _bounds_problem(name: str, value: float, metadata: list[Any]) -> str | None:
    """What is wrong with ``value`` against its setting's pydantic bounds (``ge``, ``gt``, ``le``, ``lt``), or None."""
    bounds = [(sign, getattr(m, attr), op) for m in metadata for attr, op, sign in _BOUNDS if hasattr(m, attr)]
    if all(op(value, limit) for _, limit, op in bounds):
        return None
    if [(sign, limit) for sign, limit, _ in bounds] == [(">=", 0), ("<=", 1)]:
        return f"{name} must be a fraction in [0, 1], got {value}"
    return f"{name} must be {' and '.join(f'{sign} {limit}' for sign, limit, _ in bounds)}, got {value}"


@dataclass(frozen=True)
class QualityThresholds:
    """Thresholds of one run of the data-quality gate. Build with :meth:`from_settings`, override with
    :meth:`with_overrides`. Meaning, unit and bounds of each: its setting (:func:`setting_name`).

    :param min_coverage: minimum candles present / candles expected, a fraction.
    :param max_gap_candles: longest allowed run of missing candles, candles.
    :param min_rows: minimum number of candles in the range, rows.
    :param stale_after_candles: maximum age of the last candle's close at the reference time, timeframes.
    :param outlier_window: trailing window of the outlier check's robust scale, candles.
    :param outlier_mad_k: outlier threshold in robust standard deviations.
    :param outlier_min_log_return: floor of the outlier threshold, an absolute log return.
    """

    min_coverage: float
    max_gap_candles: int
    min_rows: int
    stale_after_candles: float
    outlier_window: int
    outlier_mad_k: float
    outlier_min_log_return: float

    def __post_init__(self) -> None:
        problems = [
            problem
            for field in fields(self)
            if (
                problem := _bounds_problem(
                    field.name,
                    getattr(self, field.name),
                    Settings.model_fields[setting_name(field.name, Purpose.TRAINING)].metadata,
                )
            )
        ]
        if problems:
            raise ConfigError("invalid quality thresholds: " + "; ".join(problems))

    @classmethod
    def from_settings(cls, settings: Settings, purpose: Purpose | str = Purpose.TRAINING) -> QualityThresholds:
        """The configured thresholds for ``purpose`` (the minimum row count differs by purpose)."""
        purpose = Purpose.parse(purpose)
        return cls(**{field.name: getattr(settings, setting_name(field.name, purpose)) for field in fields(cls)})

    def with_overrides(self, **overrides: Any) -> QualityThresholds:
        """A copy with the given fields replaced; ``None`` values are ignored (unset CLI options)."""
        return replace(self, **{name: value for name, value in overrides.items() if value is not None})

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)

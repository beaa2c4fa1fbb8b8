"""What a validation is for, and the thresholds it applies (defaults in :class:`huracan.config.Settings`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from huracan.errors import ConfigError

if TYPE_CHECKING:
    from huracan.config import Settings


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


@dataclass(frozen=True)
class QualityThresholds:
    """Thresholds of one run of the data-quality gate. Build with :meth:`from_settings`, override with
    :meth:`with_overrides`.

    :param min_coverage: minimum candles present / candles expected, a fraction in [0, 1].
    :param max_gap_candles: longest allowed run of missing candles, candles (>= 0).
    :param min_rows: minimum number of candles in the range, rows (>= 1).
    :param stale_after_candles: maximum age of the last candle's close at the reference time, in
        timeframes (>= 0).
    :param outlier_window: trailing window of the outlier check's robust scale, candles (>= 2).
    :param outlier_mad_k: outlier threshold in robust standard deviations (> 0).
    :param outlier_min_log_return: floor of the outlier threshold, an absolute log return (>= 0).
    """

    min_coverage: float
    max_gap_candles: int
    min_rows: int
    stale_after_candles: float
    outlier_window: int
    outlier_mad_k: float
    outlier_min_log_return: float

    def __post_init__(self) -> None:
        problems = []
        if not 0 <= self.min_coverage <= 1:
            problems.append(f"min_coverage must be a fraction in [0, 1], got {self.min_coverage}")
        if self.max_gap_candles < 0:
            problems.append(f"max_gap_candles must be >= 0, got {self.max_gap_candles}")
        if self.min_rows < 1:
            problems.append(f"min_rows must be >= 1, got {self.min_rows}")
        if self.stale_after_candles < 0:
            problems.append(f"stale_after_candles must be >= 0, got {self.stale_after_candles}")
        if self.outlier_window < 2:
            problems.append(f"outlier_window must be >= 2, got {self.outlier_window}")
        if self.outlier_mad_k <= 0:
            problems.append(f"outlier_mad_k must be > 0, got {self.outlier_mad_k}")
        if self.outlier_min_log_return < 0:
            problems.append(f"outlier_min_log_return must be >= 0, got {self.outlier_min_log_return}")
        if problems:
            raise ConfigError("invalid quality thresholds: " + "; ".join(problems))

    @classmethod
    def from_settings(cls, settings: Settings, purpose: Purpose | str = Purpose.TRAINING) -> QualityThresholds:
        """The configured thresholds for ``purpose`` (the minimum row count differs by purpose)."""
        purpose = Purpose.parse(purpose)
        return cls(
            min_coverage=settings.quality_min_coverage,
            max_gap_candles=settings.quality_max_gap_candles,
            min_rows=settings.quality_min_rows_training
            if purpose is Purpose.TRAINING
            else settings.quality_min_rows_live,
            stale_after_candles=settings.quality_stale_after_candles,
            outlier_window=settings.quality_outlier_window,
            outlier_mad_k=settings.quality_outlier_mad_k,
            outlier_min_log_return=settings.quality_outlier_min_log_return,
        )

    def with_overrides(self, **overrides: Any) -> QualityThresholds:
        """A copy with the given fields replaced; ``None`` values are ignored (unset CLI options)."""
        return replace(self, **{name: value for name, value in overrides.items() if value is not None})

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)

"""Each quality threshold is defined once, by its setting: default, bounds and the purpose it applies to."""

from __future__ import annotations

from dataclasses import fields

import pytest

from huracan.config import Settings
from huracan.errors import ConfigError
from huracan.quality.thresholds import Purpose, QualityThresholds, setting_name


def test_every_threshold_reads_its_setting_for_the_purpose() -> None:
    settings = Settings(quality_min_rows_training=700, quality_min_rows_live=350, quality_outlier_mad_k=7.5)
    training = QualityThresholds.from_settings(settings, Purpose.TRAINING)
    live = QualityThresholds.from_settings(settings, "live")
    assert (training.min_rows, live.min_rows, training.outlier_mad_k) == (700, 350, 7.5)
    for field in fields(QualityThresholds):
        for purpose in Purpose:
            name = setting_name(field.name, purpose)
            assert Settings.model_fields[name].metadata, f"{name} has no bounds"
            value = getattr(QualityThresholds.from_settings(settings, purpose), field.name)
            assert value == getattr(settings, name)


def test_values_outside_the_settings_bounds_are_refused_with_each_reason() -> None:
    defaults = QualityThresholds.from_settings(Settings())
    with pytest.raises(ConfigError) as caught:
        defaults.with_overrides(min_coverage=1.5, max_gap_candles=-1, outlier_mad_k=0.0, min_rows=None)
    assert str(caught.value) == (
        "invalid quality thresholds: min_coverage must be a fraction in [0, 1], got 1.5; "
        "max_gap_candles must be >= 0, got -1; outlier_mad_k must be > 0, got 0.0"
    )
    with pytest.raises(ValueError, match="greater than or equal to 2"):
        Settings(quality_outlier_window=1)  # the same bound, where the setting is read
    assert defaults.with_overrides(outlier_window=2).outlier_window == 2

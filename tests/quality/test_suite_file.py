"""The suite as data: expectations/candles.json, its required checks, severities and loading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from huracan.data.candle_store import SeriesKey
from huracan.errors import ConfigError
from huracan.quality import QualityThresholds, validate_frame
from huracan.quality.suite import REQUIRED_CHECKS, default_suite_path, load_suite_json, suite_for
from huracan.quality.thresholds import Purpose

KEY = SeriesKey("binance", "BTC/USDT", "1h")


def test_the_suite_holds_every_required_check_with_a_severity_and_a_description() -> None:
    data = load_suite_json(default_suite_path())
    by_name = {item["meta"]["check"]: item for item in data["expectations"]}
    assert set(REQUIRED_CHECKS) <= set(by_name)
    assert all(item["severity"] in ("critical", "warning") and item["description"] for item in by_name.values())
    assert by_name["outliers"]["severity"] == "warning"
    assert by_name["staleness"]["severity"] == "warning"
    live = {item["meta"]["check"]: item for item in suite_for(data, Purpose.LIVE)["expectations"]}
    assert live["staleness"]["severity"] == "critical" and live["outliers"]["severity"] == "warning"
    assert suite_for(data, Purpose.TRAINING)["expectations"] == data["expectations"]


def test_a_suite_missing_a_check_or_a_file_is_refused(tmp_path: Path) -> None:
    data = load_suite_json(default_suite_path())
    data["expectations"] = [item for item in data["expectations"] if item["meta"]["check"] != "coverage"]
    trimmed = tmp_path / "trimmed.json"
    trimmed.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="lacks the required checks: coverage"):
        load_suite_json(trimmed)
    with pytest.raises(ConfigError, match="HURACAN_QUALITY_SUITE_PATH"):
        load_suite_json(tmp_path / "absent.json")


def test_severities_come_from_the_file(tmp_path: Path, candles, thresholds: QualityThresholds) -> None:  # type: ignore[no-untyped-def]
    data = load_suite_json(default_suite_path())
    for item in data["expectations"]:
        if item["meta"]["check"] == "volume_non_negative":
            item["severity"] = "warning"
    relaxed = tmp_path / "relaxed.json"
    relaxed.write_text(json.dumps(data))
    frame = candles(600)
    frame.iloc[10, frame.columns.get_loc("volume")] = -1.0
    as_of = int(frame.index[-1].timestamp() * 1000) + 3_600_000
    strict = validate_frame(frame, KEY, thresholds=thresholds, as_of_ms=as_of)
    assert strict.failures == ("volume_non_negative",)
    lenient = validate_frame(frame, KEY, thresholds=thresholds, as_of_ms=as_of, suite_path=relaxed)
    assert lenient.success and "volume_non_negative" in lenient.warnings


def test_gx_prints_no_progress_bars(candles, thresholds: QualityThresholds, capfd: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    validate_frame(candles(600), KEY, thresholds=thresholds)
    captured = capfd.readouterr()
    assert "Calculating Metrics" not in captured.err + captured.out
    assert captured.out == ""

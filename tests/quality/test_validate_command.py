"""`huracan validate` as a user runs it, on candles `huracan download` stored from the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from huracan.cli.main import app
from huracan.clock import parse_instant_ms as t
from huracan.config import get_settings
from huracan.data.candle_store import CandleStore, SeriesKey
from huracan.data.schema import validations
from huracan.market.emulator import Emulator

CLOCK = "2023-06-01T06:00:00Z"  # 516 closed daily candles since 2022-01-01
D1 = 86_400_000
KEY = SeriesKey("binance", "BTC/USDT", "1d")
runner = CliRunner()


@pytest.fixture
def env(cli_env: Callable[..., Emulator], store_url: str) -> Emulator:
    return cli_env(t(CLOCK), symbols=("BTC/USDT",), store_url=store_url)


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def download() -> None:
    result = run("download", "-s", "BTC/USDT", "-t", "1d", "--since", "2022-01-01")
    assert result.exit_code == 0, result.output


def check_lines(text: str) -> dict[str, str]:
    """The report's check lines by check name."""
    lines = [line for line in text.splitlines() if line.startswith(("  PASS", "  FAIL"))]
    return {line.split()[2]: line for line in lines}


def test_downloaded_candles_pass_and_the_json_matches_the_text(env: Emulator) -> None:
    download()
    text = run("validate", "-s", "BTC/USDT", "-t", "1d", "--as-of", CLOCK)
    assert text.exit_code == 0, text.output
    assert "binance BTC/USDT 1d  2022-01-01 00:00 .. 2023-05-31 00:00  for training: PASSED" in text.stdout
    assert (
        "coverage              1.00000 (516 of 516 expected 1d candles; none missing)  [threshold >= 0.99]"
        in text.stdout
    )
    as_json = run("validate", "-s", "BTC/USDT", "-t", "1d", "--as-of", CLOCK, "--json")
    assert as_json.exit_code == 0
    data = json.loads(as_json.stdout)  # stdout is exactly one JSON object
    assert data["success"] is True and data["failures"] == []
    assert (data["expected"], data["present"], data["coverage"], data["longest_gap"], data["gaps"]) == (
        516,
        516,
        1.0,
        0,
        [],
    )
    assert (data["start_ms"], data["end_ms"]) == (t("2022-01-01"), t("2023-05-31"))
    lines = check_lines(text.stdout)
    assert set(lines) == {check["name"] for check in data["checks"]}
    for check in data["checks"]:  # every check of the JSON is printed with the same verdict, value and limit
        line = lines[check["name"]]
        assert line.split()[:2] == ["PASS" if check["success"] else "FAIL", check["severity"]]
        assert f"{check['message']}  [threshold {check['threshold']}]" in line
    assert f"warnings: {', '.join(data['warnings'])}" in text.stdout if data["warnings"] else True
    report_dir = Path(data["report_path"])
    assert json.loads((report_dir / "report.json").read_text()) == data
    assert (report_dir / "validation_result.json").exists() and (report_dir / "data_docs.html").exists()
    engine = CandleStore.open(get_settings().store_url).engine
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(validations)).scalar_one() == 2


def test_holes_and_a_corrupt_candle_fail_with_a_precise_report(env: Emulator) -> None:
    single, first, last = t("2022-02-19"), t("2022-05-01"), t("2022-05-04")
    env.add_holes("BTC/USDT", "1d", [single, first, first + D1, first + 2 * D1, last])
    download()
    CandleStore.open(get_settings().store_url).upsert(KEY, [[t("2022-09-01"), 100.0, 110.0, 95.0, 105.0, -2.5]])
    result = run("validate", "-s", "BTC/USDT", "-t", "1d", "--as-of", CLOCK)
    assert result.exit_code == 1
    lines = check_lines(result.stdout)
    assert (
        "coverage 0.99031 (511 of 516 expected 1d candles; missing 2022-02-19, 2022-05-01 .. 2022-05-04 (4 candles))"
        in " ".join(lines["coverage"].split())
    )
    assert lines["coverage"].startswith("  PASS")  # 0.99031 >= 0.99 ...
    assert (
        lines["longest_gap"].startswith("  FAIL  critical")
        and "4 candles missing at 2022-05-01 .. 2022-05-04" in lines["longest_gap"]
    )
    assert (
        lines["volume_non_negative"].startswith("  FAIL") and "2022-09-01 (volume=-2.5)" in lines["volume_non_negative"]
    )
    assert "critical failures: volume_non_negative, longest_gap" in result.stdout
    assert "data-quality gate failed: volume_non_negative, longest_gap" in result.output
    data = json.loads(run("validate", "-s", "BTC/USDT", "-t", "1d", "--as-of", CLOCK, "--json").stdout)
    assert data["failures"] == ["volume_non_negative", "longest_gap"] and data["success"] is False
    assert data["gaps"] == [[single, single], [first, last]]
    assert (data["expected"], data["present"], data["longest_gap"]) == (516, 511, 4)


def test_a_range_and_live_use(env: Emulator) -> None:
    download()
    result = run("validate", "-s", "BTC/USDT", "-t", "1d", "--start", "2023-01-01", "--end", "2023-05-31T12:00",
                 "--for", "live", "--as-of", "2023-06-04T00:00:01Z", "--min-rows", "100", "--json")  # fmt: skip
    data = json.loads(result.stdout)
    assert result.exit_code == 1 and data["failures"] == ["staleness"]  # last close 2023-06-01 00:00: > 2 days old
    assert (data["expected"], data["present"], data["purpose"]) == (151, 151, "live")
    assert data["thresholds"]["min_rows"] == 100


def test_a_series_with_no_candles_is_named(env: Emulator) -> None:
    result = run("validate", "-s", "ETH/USDT", "-t", "1d")
    assert result.exit_code == 1
    assert "no candles stored for binance ETH/USDT 1d" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-t", "7m"), "unknown timeframe '7m'"),
        (("-t", "1d", "--for", "backtest"), "'backtest' is not one of"),
        (("-t", "1d", "--start", "last tuesday"), "'last tuesday' is not"),
        (("-t", "1d", "--start", "2023-02-01", "--end", "2023-01-01"), "is after --end"),
        (("-t", "1d", "--min-coverage", "1.5"), "min_coverage must be a fraction"),
    ],
)
def test_bad_usage_exits_2(env: Emulator, args: tuple[str, ...], message: str) -> None:
    result = run("validate", "-s", "BTC/USDT", *args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.replace("│", " ").split())

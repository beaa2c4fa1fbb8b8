"""The data subcommands as a user runs them: output, exit codes, error messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huracan.cli.main import app
from huracan.clock import parse_instant_ms
from huracan.config import get_settings
from huracan.market.emulator import Emulator

CLOCK = parse_instant_ms("2023-03-01T06:00:00Z")
runner = CliRunner()


@pytest.fixture
def env(cli_env: Callable[..., Emulator], store_url: str) -> Emulator:
    return cli_env(CLOCK, store_url=store_url)


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def test_download_prints_a_summary_per_series(env: Emulator) -> None:
    result = run("download", "-s", "BTC/USDT", "-s", "ETH/USDT", "-t", "1d", "--since", "2023-01-01")
    assert result.exit_code == 0, result.output
    assert "binance BTC/USDT 1d" in result.output and "binance ETH/USDT 1d" in result.output
    assert "2023-01-01 00:00" in result.output and "2023-02-28 00:00" in result.output  # first, last closed
    assert result.output.count("59") >= 2  # 59 candles each (Jan + Feb)
    rerun = run("download", "-s", "BTC/USDT", "-t", "1d")
    assert rerun.exit_code == 0
    assert env.request_count("/api/v3/klines", symbol="BTCUSDT") == 2  # first run + one probe


def test_unknown_symbol_exits_1_and_names_it(env: Emulator) -> None:
    result = run("download", "-s", "NOPE/USDT", "-t", "1h", "--since", "2023-02-01")
    assert result.exit_code == 1
    assert "NOPE/USDT" in result.output and "does not list" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-t", "7m"), "unknown timeframe '7m'"),
        (("-t", "1h", "--since", "last tuesday"), "'last tuesday' is not"),
    ],
)
def test_bad_usage_exits_2_and_names_the_input(env: Emulator, args: tuple[str, ...], message: str) -> None:
    result = run("download", "-s", "BTC/USDT", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert env.request_count("/api/v3/klines") == 0


def test_import_export_and_malformed_csv(env: Emulator, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("timestamp,open,high,low,close,volume\n1700000000000,1.0,2.0,0.5,1.5,3.0\n")
    assert run("import-csv", "-s", "SOL/USDT", "-t", "1h", str(good)).exit_code == 0
    out = tmp_path / "out.csv"
    result = run("export-csv", "-s", "SOL/USDT", "-t", "1h", str(out))
    assert result.exit_code == 0 and out.read_text() == good.read_text()
    bad = tmp_path / "bad.csv"
    bad.write_text(good.read_text() + "1700003600000,1.0,2.0,x,1.5,3.0\n")
    result = run("import-csv", "-s", "SOL/USDT", "-t", "1h", str(bad))
    assert result.exit_code == 1
    assert "line 3: low 'x' is not a number" in result.output


def test_db_upgrade_reports_the_revision(env: Emulator) -> None:
    from huracan.data.db import create_store_engine, current_revision

    result = run("db", "upgrade")
    assert result.exit_code == 0
    head = current_revision(create_store_engine(get_settings().store_url))
    assert head is not None and f"store at revision {head}" in result.output

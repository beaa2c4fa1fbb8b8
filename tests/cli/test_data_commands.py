"""The data subcommands as a user runs them: output, exit codes, error messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huracan.cli.main import app
from huracan.clock import parse_instant_ms
from huracan.config import get_settings
from huracan.market.emulator import Emulator, Fault, FaultKind

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
    good.write_text("timestamp,open,high,low,close,volume\n1699999200000,1.0,2.0,0.5,1.5,3.0\n")
    assert run("import-csv", "-s", "SOL/USDT", "-t", "1h", str(good)).exit_code == 0
    out = tmp_path / "out.csv"
    result = run("export-csv", "-s", "SOL/USDT", "-t", "1h", str(out))
    assert result.exit_code == 0 and out.read_text() == good.read_text()
    bad = tmp_path / "bad.csv"
    bad.write_text(good.read_text() + "1700002800000,1.0,2.0,x,1.5,3.0\n")
    result = run("import-csv", "-s", "SOL/USDT", "-t", "1h", str(bad))
    assert result.exit_code == 1
    assert "line 3: low 'x' is not a number" in result.output


def test_db_upgrade_reports_the_revision(env: Emulator) -> None:
    from huracan.data.db import create_store_engine, current_revision

    result = run("db", "upgrade")
    assert result.exit_code == 0
    head = current_revision(create_store_engine(get_settings().store_url))
    assert head is not None and f"store at revision {head}" in result.output


# --- issue 9 ---------------------------------------------------------------------------------------


def one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    """The command's error output: one ``error:`` line, no traceback."""
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    return errors[0]


def test_a_truncated_download_exits_1_naming_the_missing_tail(env: Emulator) -> None:
    """Finding 2: the exchange stops sending after one page; it used to say "holes left: none", exit 0."""
    second_page_ms = parse_instant_ms("2023-01-01") + 1000 * 3_600_000  # 2023-02-11 16:00
    env.inject(Fault(FaultKind.EMPTY_KLINES, times=10, params={"startTime": str(second_page_ms)}))
    result = run("download", "-s", "BTC/USDT", "-t", "1h", "--since", "2023-01-01")
    assert result.exit_code == 1
    assert "truncated" in one_line_error(result) and "2023-02-11 16:00 .. 2023-03-01 05:00" in result.output


def test_a_refused_candle_is_reported_and_not_stored(env: Emulator) -> None:
    """Finding 3: a candle the exchange keeps sending with high < low is named and left out."""
    bad_ms = parse_instant_ms("2023-01-10")
    env.inject(Fault(FaultKind.BAD_CANDLE, times=2, corruption="high_below_low", drop_open_ms=(bad_ms,)))
    result = run("download", "-s", "BTC/USDT", "-t", "1d", "--since", "2023-01-01")
    assert result.exit_code == 0
    assert "refused: binance BTC/USDT 1d 2023-01-10 00:00: high" in result.output and "not stored" in result.output
    assert "2023-01-10 00:00..2023-01-10 00:00 (1)" in result.output  # the hole it leaves, for the quality gate


@pytest.mark.parametrize("spelling", ["BTC/USDT ", " btc/usdt"])
def test_every_command_files_a_symbol_under_one_spelling(env: Emulator, tmp_path: Path, spelling: str) -> None:
    """Finding 6: import-csv with a stray blank or lower case reaches the same series as download."""
    assert (
        run("download", "-s", "BTC/USDT", "-t", "1d", "--since", "2023-01-01", "--until", "2023-01-09").exit_code == 0
    )
    extra = tmp_path / "extra.csv"
    extra.write_text("timestamp,open,high,low,close,volume\n1673308800000,1.0,2.0,0.5,1.5,3.0\n")  # 2023-01-10
    result = run("import-csv", "-s", spelling, "-t", "1d", str(extra))
    assert result.exit_code == 0 and "into binance BTC/USDT 1d" in result.output
    exported = tmp_path / "out.csv"
    assert run("export-csv", "-s", spelling, "-t", "1d", str(exported)).exit_code == 0
    assert len(exported.read_text().splitlines()) == 1 + 10
    from huracan.data.candle_store import CandleStore

    assert [key.symbol for key, _ in CandleStore.open(get_settings().store_url).series()] == ["BTC/USDT"]


@pytest.mark.parametrize(
    ("command", "symbol", "message"),
    [
        ("download", "BTCUSDT", "'BTCUSDT' is not a unified symbol"),
        ("validate", "BTC/USDT/X", "is not a unified symbol"),
        ("train", "A" * 30 + "/USDT", "at most 32 fit the store"),
        ("import-csv", "BTC/" + "U" * 40, "at most 32 fit the store"),
    ],
)
def test_a_bad_symbol_exits_2_in_every_command(
    env: Emulator, tmp_path: Path, command: str, symbol: str, message: str
) -> None:
    """Findings 6 and 10: checked in one place, before anything runs (a 40-character symbol used to
    crash PostgreSQL's column)."""
    extra = [str(tmp_path / "x.csv")] if command == "import-csv" else []
    result = run(command, "-s", symbol, "-t", "1d", *extra)
    assert result.exit_code == 2 and message in result.output
    assert env.request_count() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("download", "--since", "2023-02-01", "--until", "2023-01-01"), "--since 2023-02-01 00:00 is after --until"),
        (("validate", "--start", "2023-02-01", "--end", "2023-01-01"), "--start 2023-02-01 00:00 is after --end"),
        (("train", "--start", "2023-02-01", "--end", "2023-01-01"), "--start 2023-02-01 00:00 is after --end"),
    ],
)
def test_a_range_starting_after_its_end_exits_2_everywhere(env: Emulator, args: tuple[str, ...], message: str) -> None:
    """Finding 12: download said 1, train said nothing is stored."""
    result = run(args[0], "-s", "BTC/USDT", "-t", "1d", *args[1:])
    assert result.exit_code == 2 and message in result.output
    assert env.request_count() == 0


@pytest.fixture
def plain_env(cli_env: Callable[..., Emulator]) -> Emulator:
    return cli_env(CLOCK)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("HURACAN_RETRY_ATTEMPTS", "three", "HURACAN_RETRY_ATTEMPTS='three': Input should be a valid integer"),
        ("HURACAN_QUALITY_MIN_COVERAGE", "1.5", "HURACAN_QUALITY_MIN_COVERAGE='1.5': Input should be less than"),
        ("HURACAN_DB_URL", "postgresql+psycopg2://huracan:s3cret@127.0.0.1:1/x", "Connection refused"),
        ("HURACAN_DB_URL", "mysql://huracan:s3cret@db/x", "only postgresql and sqlite stores are supported"),
        ("HURACAN_EXCHANGE_URL", "ftp://huracan:s3cret@x", "HURACAN_EXCHANGE_URL='ftp://***@x': must start with"),
    ],
    ids=["not-an-int", "out-of-range", "pg-unreachable", "unsupported-backend", "bad-exchange-url"],
)
def test_configuration_problems_are_one_line_errors_without_secrets(
    plain_env: Emulator, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    """Findings 9 and 10: a traceback (or the password) used to be printed."""
    monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    for args in (("download", "-s", "BTC/USDT", "-t", "1d"), ("validate", "-s", "BTC/USDT", "-t", "1d")):
        result = run(*args)
        assert result.exit_code == 1, result.output
        line = one_line_error(result)
        assert message in line and "s3cret" not in result.output


def test_a_missing_postgres_database_is_a_one_line_error(
    plain_env: Emulator, monkeypatch: pytest.MonkeyPatch, pg_database_url: str
) -> None:
    """Finding 10."""
    from sqlalchemy.engine import make_url

    monkeypatch.setenv(
        "HURACAN_DB_URL", make_url(pg_database_url).set(database="huracan_no_such_db").render_as_string()
    )
    get_settings.cache_clear()
    result = run("download", "-s", "BTC/USDT", "-t", "1d")
    assert result.exit_code == 1 and 'database "huracan_no_such_db" does not exist' in one_line_error(result)


def test_a_corrupt_sqlite_file_is_a_one_line_error(plain_env: Emulator) -> None:
    """Finding 10."""
    path = get_settings().home / "huracan.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    result = run("import-csv", "-s", "BTC/USDT", "-t", "1d", str(path))
    assert result.exit_code == 1 and "file is not a database" in one_line_error(result)


def test_huracan_home_being_a_file_is_a_one_line_error(
    plain_env: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Finding 10."""
    home = tmp_path / "home-file"
    home.write_text("")
    monkeypatch.setenv("HURACAN_HOME", str(home))
    get_settings.cache_clear()
    result = run("download", "-s", "BTC/USDT", "-t", "1d")
    assert result.exit_code == 1 and "is a file, not a directory" in one_line_error(result)


def test_exchange_credentials_never_reach_the_output(plain_env: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding 9: every retry warning used to print the user and password of HURACAN_EXCHANGE_URL."""
    monkeypatch.setenv("HURACAN_EXCHANGE_URL", plain_env.url.replace("http://", "http://huracan:s3cret@"))
    monkeypatch.setenv("HURACAN_RETRY_BASE_DELAY_S", "0")
    get_settings.cache_clear()
    plain_env.inject(Fault(FaultKind.UNAVAILABLE, times=100, path="/api/v3/klines"))
    result = run("download", "-s", "BTC/USDT", "-t", "1d", "--since", "2023-01-01")
    assert result.exit_code == 1 and "***@127.0.0.1" in result.output and "s3cret" not in result.output

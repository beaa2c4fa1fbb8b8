"""The model subcommands as a user runs them, end to end on a fresh home: download (emulator) ->
validate -> train -> backtest -> promote -> compare; plus their errors."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huracan.cli.main import app
from huracan.clock import parse_instant_ms
from huracan.market.emulator import MARKET_PRESETS, Emulator

CLOCK = parse_instant_ms("2022-06-01T06:00:00Z")
PLANTED = MARKET_PRESETS["planted"]
runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, mlflow_template: Path, cli_env: Callable[..., Emulator]) -> Path:
    """A fresh HURACAN_HOME (store and MLflow inside), ccxt pointed at an emulator of the planted market."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(mlflow_template, home / "mlflow.db")
    cli_env(CLOCK, seed=2, sim_params=PLANTED)
    return home


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


SECRET_KEY, SECRET = "KeyThatMustNeverReachMLflow0000", "SecretThatMustNeverReachMLflow0"


@pytest.mark.slow
def test_download_validate_train_backtest_promote_compare(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # exchange keys in the environment, as a live deployment has them: none may reach MLflow
    monkeypatch.setenv("HURACAN_EXCHANGE_API_KEY", SECRET_KEY)
    monkeypatch.setenv("HURACAN_EXCHANGE_SECRET", SECRET)
    series = ("-s", "BTC/USDT", "-t", "1d")
    assert run("download", *series, "--since", "2019-01-01").exit_code == 0
    assert run("validate", *series).exit_code == 0

    trained = run("train", *series, "--timesteps", "4096", "--seed", "0", "--seed", "1")
    assert trained.exit_code == 0, trained.output
    assert "registered huracan-BTC-USDT-1d version 1 as challenger" in trained.output
    assert "registered model: ensemble of seeds 0, 1" in trained.output and "member" in trained.output
    assert "test" in trained.output

    backtest = run("backtest", *series, "--json")
    assert backtest.exit_code == 0, backtest.output
    document = json.loads(backtest.stdout)
    assert set(document["baselines"]) == {"buy_and_hold", "flat", "sma_crossover", "random"}
    assert {"total_return", "sharpe", "max_drawdown", "costs_quote", "n_trades"} <= set(document["model"])
    assert document["window"]["name"] == "test" and document["subject"] == "model"
    table = run("backtest", *series)
    assert table.exit_code == 0 and "buy_and_hold" in table.output and "sma_crossover" in table.output
    assert list((home / "reports" / "backtests" / "huracan-BTC-USDT-1d").glob("v1_*.png"))
    assert "logged to MLflow run" in table.output
    maker = run("backtest", *series, "--execution", "maker_first", "--fallback", "skip", "--json", "--no-log")
    assert maker.exit_code == 0, maker.output
    execution = json.loads(maker.stdout)["execution"]
    assert execution["taker"]["costs_quote"] == pytest.approx(document["model"]["costs_quote"])
    assert execution["taker"]["taker_fills"] == execution["taker"]["orders"] == execution["policy"]["orders"]
    policy = execution["policy"]
    assert policy["taker_fills"] == 0  # skip: never takes
    assert policy["maker_fills"] + policy["missed_orders"] <= policy["orders"]
    assert execution["fees_saved_quote"] == pytest.approx(execution["taker"]["costs_quote"] - policy["costs_quote"])
    side_by_side = run("backtest", *series, "--execution", "maker_first", "--no-log")
    assert (
        side_by_side.exit_code == 0
        and "execution: taker vs maker_first (2 re-prices, then take)" in side_by_side.output
    )
    assert "maker fees saved vs taking" in side_by_side.output
    replayed = run("paper-run", *series, "--model", "challenger", "--json")
    assert replayed.exit_code == 0, replayed.output
    paper = json.loads(replayed.stdout)
    assert paper["identical"] is True
    assert {k: v for k, v in paper["paper"].items() if k != "final_equity_quote"} == document["model"]
    assert paper["window"]["decisions"] == document["window"]["decisions"]
    again = json.loads(run("paper-run", *series, "--model", "challenger", "--json").stdout)
    assert again == paper  # the replay's ticks are recorded once; a rerun trades nothing new
    bound = run("paper-run", *series, "--model", "challenger", "--limits", "settings")
    assert bound.exit_code == 0 and "resized" in bound.output
    tick = run("live-step", *series, "--model", "challenger", "--json")
    assert tick.exit_code == 0, tick.output
    ticked = json.loads(tick.stdout)
    assert ticked["decision"] == "2022-06-01T00:00:00Z"  # the last daily candle closed before 06:00
    (step,) = ticked["accounts"].values()
    assert step["new"] is True and step["decision"]["role"] == "challenger"
    assert step["decision"]["model_version"] == "1" and len(step["decision"]["obs_sha256"]) == 64
    retick = json.loads(run("live-step", *series, "--model", "challenger", "--json").stdout)
    (again,) = retick["accounts"].values()
    assert again["new"] is False and again["decision"] == step["decision"]
    (shadowed,) = json.loads(run("compare", *series, "--json").stdout)
    assert shadowed["shadow"]["ticks"] == 1 and shadowed["shadow"]["version"] == "1"  # its live decision
    bad = run("backtest", *series, "--execution", "iceberg")
    assert bad.exit_code == 2 and "execution kind must be one of" in bad.output

    dry = run("promote", *series, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "beats_buy_and_hold" in dry.output and "median_seed" in dry.output
    assert "dry run: nothing changed" in dry.output
    gate = run("promote", *series)
    assert gate.exit_code == 0 and ("now the champion" in gate.output or "stays challenger" in gate.output)
    promoted = "now the champion" in gate.output

    compare = run("compare", *series, "--json")
    assert compare.exit_code == 0, compare.output
    (row,) = json.loads(compare.stdout)
    assert row["version"] == "1" and row["aliases"] == (["champion"] if promoted else ["challenger"])
    assert row["seed"] == "ensemble 0,1"  # the version is the ensemble of the two seeds
    assert row["backtest"]["sharpe"] == pytest.approx(document["model"]["sharpe"])
    assert row["gate"]["decision"] == ("promoted" if promoted else "rejected")
    readable = run("compare", *series)
    assert readable.exit_code == 0 and "B&H" in readable.output and "test window (UTC)" in readable.output

    assert_no_secret_in_mlflow(home)
    rollback = run("promote", *series, "--rollback")
    assert rollback.exit_code == 1
    assert ("nothing to roll back" if promoted else "no champion") in rollback.output
    assert not (Path.cwd() / "mlruns").exists()


def test_errors_exit_1_or_2_and_say_what_to_do(home: Path) -> None:
    assert run("download", "-s", "ETH/USDT", "-t", "1d", "--since", "2019-01-01").exit_code == 0
    refused = run("train", "-s", "ETH/USDT", "-t", "1d", "--timesteps", "2048")
    assert refused.exit_code == 1
    assert "never been validated" in refused.output and "huracan validate" in refused.output
    missing = run("backtest", "-s", "ETH/USDT", "-t", "1d")
    assert missing.exit_code == 1 and "train one with `huracan train`" in missing.output
    assert run("promote", "-s", "ETH/USDT", "-t", "1d").exit_code == 1
    assert run("compare", "-s", "ETH/USDT", "-t", "1d").exit_code == 1
    both = run("backtest", "-s", "ETH/USDT", "-t", "1d", "--model", "champion", "--baseline", "flat")
    assert both.exit_code == 1 and "not both" in both.output
    baseline = run("backtest", "-s", "ETH/USDT", "-t", "1d", "--baseline", "sma_crossover", "--json")
    assert baseline.exit_code == 0 and json.loads(baseline.stdout)["subject"] == "sma_crossover"
    assert run("train", "-s", "ETH/USDT", "-t", "1d", "--seed", "1", "--seed", "1").exit_code == 2
    assert run("promote", "-s", "ETH/USDT", "-t", "1d", "--rollback", "--dry-run").exit_code == 2
    assert run("backtest", "-s", "ETH/USDT", "-t", "7m").exit_code == 2


def assert_no_secret_in_mlflow(home: Path) -> None:
    """Neither key appears in MLflow: not in its database (runs, params, tags, registry) nor in an artifact."""
    for path in [home / "mlflow.db", *(p for p in (home / "mlartifacts").rglob("*") if p.is_file())]:
        data = path.read_bytes()
        assert SECRET_KEY.encode() not in data and SECRET.encode() not in data, path

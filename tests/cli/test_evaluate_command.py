"""``huracan evaluate`` as a user runs it: a CSV folder of simulated candles in, the scorecard out, and the
numbers equal to what ``huracan backtest`` prints for the same model and window; plus its errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import mlflow
import pytest
from typer.testing import CliRunner

from huracan.cli.main import app
from huracan.config import get_settings
from huracan.data.db import dispose_engines
from huracan.market.emulator import MARKET_PRESETS
from huracan.market.emulator.frames import simulated_candles
from huracan.rl.train import TrainConfig
from huracan.series import symbol_slug

runner = CliRunner()
PLANTED = MARKET_PRESETS["planted"]
COMPARED = ("total_return", "sharpe", "max_drawdown", "n_trades", "costs_quote", "exposure")


def write_csv(folder: Path, symbol: str, seed: int, n: int = 900) -> Path:
    """``n`` daily candles of the planted market as ``binance_<BASE>-<QUOTE>_1d.csv`` (the shared data's format)."""
    frame = simulated_candles(n, seed, symbol, "1d", params=PLANTED)
    path = folder / f"binance_{symbol_slug(symbol)}_1d.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("timestamp,open,high,low,close,volume\n")
        for ts, row in zip(frame.index.as_unit("ms").asi8, frame.itertuples(index=False), strict=True):
            handle.write(f"{ts},{row.open!r},{row.high!r},{row.low!r},{row.close!r},{row.volume!r}\n")
    return path


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user's HURACAN_HOME (its store and MLflow must stay untouched) and a wide terminal."""
    home = tmp_path / "user-home"
    monkeypatch.setenv("HURACAN_HOME", str(home))
    monkeypatch.delenv("HURACAN_DB_URL", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()
    dispose_engines()


@pytest.mark.slow
def test_evaluate_matches_backtest_for_the_same_model_and_window(
    env: Path, tmp_path: Path, mlflow_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    write_csv(csv_dir, "BTC/USDT", seed=2)
    write_csv(csv_dir, "ETH/USDT", seed=3)
    kept = tmp_path / "kept"
    kept.mkdir()
    shutil.copy(mlflow_template, kept / "mlflow.db")  # saves migrating a fresh one
    args = ["-t", "1d", "-s", "BTC/USDT", "-s", "ETH/USDT", "--csv-dir", str(csv_dir), "--seeds", "2"]
    done = runner.invoke(app, ["evaluate", *args, "--timesteps", "1024", "--home", str(kept), "--json"])
    assert done.exit_code == 0, done.output
    card = json.loads(done.stdout)
    assert [p["symbol"] for p in card["pairs"]] == ["BTC/USDT", "ETH/USDT"] and card["seeds"] == [0, 1]
    assert card["numerics"].endswith("ATen AVX2, MKL_CBWR=COMPATIBLE")
    assert not env.exists()  # the user's home is not written

    # the same model and window through `huracan backtest`, on the home the evaluation kept
    monkeypatch.setenv("HURACAN_HOME", str(kept))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{kept / 'mlflow.db'}")
    get_settings.cache_clear()
    for pair in card["pairs"]:
        shown = runner.invoke(app, ["backtest", "-s", pair["symbol"], "-t", "1d", "--json", "--no-log"])
        assert shown.exit_code == 0, shown.output
        backtest = json.loads(shown.stdout)
        assert backtest["window"]["name"] == "test"
        assert backtest["window"]["start_ms"] == pair["window"]["start_ms"]
        assert backtest["window"]["end_ms"] == pair["window"]["end_ms"]
        assert backtest["window"]["decisions"] == pair["window"]["decisions"]
        for key in COMPARED:
            assert pair["model"][key] == backtest["model"][key], key
            for name in ("buy_and_hold", "sma_crossover", "random", "flat"):
                assert pair["baselines"][name][key] == backtest["baselines"][name][key], (name, key)
        assert pair["registered"] == "ensemble of seeds 0, 1"
        sharpes = [s["test"]["sharpe"] for s in pair["seeds"]]
        assert pair["seed_sharpe"]["min"] == min(sharpes) and pair["seed_sharpe"]["max"] == max(sharpes)
    assert len(card["target"]) == 5
    assert isinstance(card["target_met"], bool)

    # the registry records the training reward the models were trained with
    client = mlflow.MlflowClient(f"sqlite:///{kept / 'mlflow.db'}")
    runs = client.search_runs([experiment.experiment_id for experiment in client.search_experiments()])
    assert runs and {run.data.params["ppo.variance_penalty"] for run in runs} == {str(TrainConfig().variance_penalty)}

    variant = ["--seeds", "1", "--timesteps", "512", "--variance-penalty", "0"]
    table = runner.invoke(app, ["evaluate", *args[:4], "--csv-dir", str(csv_dir), *variant])
    assert table.exit_code == 0, table.output
    for text in ("buy & hold", "SMA crossover", "random", "median", "Sharpe >= buy & hold's", "1 pairs x 1 seeds"):
        assert text in table.output
    assert "(reward's variance penalty 0)" in table.output
    assert "ATen AVX2, MKL_CBWR=COMPATIBLE" in " ".join(table.output.split())  # the pinned path, however folded


def test_a_missing_csv_fails_before_any_training(env: Path, tmp_path: Path) -> None:
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    write_csv(csv_dir, "BTC/USDT", seed=2, n=300)
    kept = tmp_path / "kept"
    args = ["evaluate", "-t", "1d", "-s", "BTC/USDT", "-s", "XRP/USDT", "--csv-dir", str(csv_dir), "--home", str(kept)]
    done = runner.invoke(app, [*args, "--timesteps", "512"])
    assert done.exit_code == 1
    assert "no CSV of XRP/USDT 1d" in done.output and "binance_XRP-USDT_1d.csv" in done.output
    assert "binance_BTC-USDT_1d.csv" in done.output  # what is there
    assert not (kept / "mlflow.db").exists() and not (kept / "huracan.db").exists()  # nothing half-done

    missing = runner.invoke(app, ["evaluate", "-t", "1d", "-s", "BTC/USDT", "--csv-dir", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "is not a folder" in missing.output


def test_an_unknown_symbol_or_bad_input_is_refused(env: Path) -> None:
    unknown = runner.invoke(app, ["evaluate", "-t", "1d", "-s", "NOPE/USDT", "--timesteps", "512"])
    assert unknown.exit_code == 1
    assert "no candles stored for binance NOPE/USDT 1d" in unknown.output and "--csv-dir" in unknown.output
    bad_symbol = runner.invoke(app, ["evaluate", "-t", "1d", "-s", "BTCUSDT"])
    assert bad_symbol.exit_code == 2 and "--symbol" in bad_symbol.output
    bad_timeframe = runner.invoke(app, ["evaluate", "-t", "7x", "-s", "BTC/USDT"])
    assert bad_timeframe.exit_code == 2 and "--timeframe" in bad_timeframe.output
    twice = runner.invoke(app, ["evaluate", "-t", "1d", "-s", "BTC/USDT", "-s", "btc/usdt"])
    assert twice.exit_code == 2 and "distinct" in twice.output

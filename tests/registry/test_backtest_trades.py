"""A model's backtest gives its round trips to the trade memory (source backtest) and logs their win/loss
analysis (JSON, an MLflow table and a plot) to the model's run."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from mlflow import MlflowClient
from stable_baselines3 import PPO

from huracan.config import Settings
from huracan.memory.store import TradeMemory
from huracan.registry.evaluation import evaluate, trades_of_backtest
from huracan.timeframes import Timeframe
from huracan.trading.market_data import MarketData

DAY = Timeframe.parse("1d")
SYMBOL = "BTC/USDT"


@pytest.mark.slow
def test_the_test_windows_round_trips_are_recorded_and_analysed(
    model_settings: Settings,
    client: MlflowClient,
    planted: tuple[MarketData, object],
    rule_policy: Callable[..., PPO],
    register_policy: Callable[..., str],
    tmp_path: Path,
) -> None:
    data, _ = planted
    version = register_policy(rule_policy(data, "ret_z_8"))
    evaluation = evaluate(model_settings, client, SYMBOL, DAY)
    trips = trades_of_backtest(model_settings, client, evaluation, record=True)
    assert evaluation.model is not None
    # every closed trip of the replay: its closes are the sells to flat of the level path
    levels = evaluation.subject.levels.tolist()
    closes = sum(1 for a, b in itertools.pairwise(levels) if a > 0 and b == 0)
    assert len(trips) == closes > 1
    assert {t.account for t in trips} == {f"backtest:{evaluation.model.name}/{version}"}
    assert all(evaluation.start_ms <= t.entry_ms <= t.exit_ms < evaluation.end_ms for t in trips)
    stored = TradeMemory.open(model_settings.store_url).trips(SYMBOL, "1d", "backtest")
    assert [(t.entry_ms, t.profit_quote, t.model_version) for t in stored] == [
        (t.entry_ms, pytest.approx(t.profit_quote), version) for t in trips
    ]
    trades_of_backtest(model_settings, None, evaluation, record=True)  # again: stored once
    assert len(TradeMemory.open(model_settings.store_url).trips(SYMBOL, "1d", "backtest")) == len(trips)

    run_id = evaluation.model.run_id
    logged = {a.path for a in client.list_artifacts(run_id, "backtest/trades")}
    assert logged == {
        "backtest/trades/trade_analysis.json",
        "backtest/trades/trade_analysis_table.json",
        "backtest/trades/trade_analysis.png",
    }
    local = Path(client.download_artifacts(run_id, "backtest/trades", str(tmp_path)))
    analysis = json.loads((local / "trade_analysis.json").read_text())
    assert analysis["overall"]["trades"] == len(trips)
    assert analysis["overall"]["total_profit_quote"] == pytest.approx(sum(t.profit_quote for t in trips))
    table = json.loads((local / "trade_analysis_table.json").read_text())
    assert "section" in table["columns"] and len(table["data"]) >= 1 + len(analysis["by_holding_time"])
    assert (local / "trade_analysis.png").read_bytes()[:4] == b"\x89PNG"


def test_a_baseline_alone_records_its_trips_without_a_run(model_settings: Settings, planted: object) -> None:
    evaluation = evaluate(model_settings, None, SYMBOL, DAY, baseline="sma_crossover")
    trips = trades_of_backtest(model_settings, None, evaluation, record=True)
    assert trips and {t.account for t in trips} == {"backtest"} and trips[0].model_name is None
    random = evaluate(model_settings, None, SYMBOL, DAY, baseline="random")
    assert trades_of_backtest(model_settings, None, random, record=False) == []  # an aggregate of seeds


def test_the_command_records_then_analyze_explains_them(
    model_settings: Settings, planted: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from huracan.cli.main import app
    from huracan.config import get_settings

    monkeypatch.setenv("HURACAN_HOME", str(model_settings.home))
    monkeypatch.setenv("HURACAN_DB_URL", str(model_settings.db_url))
    get_settings.cache_clear()
    runner = CliRunner()
    series = ("-s", SYMBOL, "-t", "1d", "--baseline", "sma_crossover")
    plain = runner.invoke(app, ["backtest", *series])
    assert plain.exit_code == 0 and "round trip" not in plain.output
    assert TradeMemory.open(model_settings.store_url).trips(SYMBOL) == []  # only when asked
    recorded = runner.invoke(app, ["backtest", *series, "--record-trades"])
    assert recorded.exit_code == 0, recorded.output
    count = len(TradeMemory.open(model_settings.store_url).trips(SYMBOL, "1d", "backtest"))
    assert count > 0 and f"recorded {count} round trip(s)" in recorded.output
    analyzed = runner.invoke(app, ["trades", "analyze", "--symbol", SYMBOL, "--source", "backtest", "--json"])
    assert analyzed.exit_code == 0 and json.loads(analyzed.output)["overall"]["trades"] == count
    get_settings.cache_clear()

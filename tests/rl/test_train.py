"""PPO training: reproducibility, learning on a planted regularity, MLflow logging and registration, and
the quality gate in front of it all."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import torch
from mlflow import MlflowClient
from stable_baselines3 import PPO

from huracan.config import Settings
from huracan.data.candle_store import CandleStore, SeriesKey
from huracan.data.db import dispose_engines
from huracan.errors import DataQualityError, TrainingError
from huracan.market.emulator import MARKET_PRESETS, SimulatedSeries
from huracan.quality import validate_series
from huracan.registry import naming
from huracan.rl.batch_policy import policy_action_table
from huracan.rl.pyfunc import observation_frame
from huracan.rl.split import Window, walk_forward_split
from huracan.rl.train import SeedOutcome, TrainConfig, fit, median_seed, train_series
from huracan.timeframes import Timeframe
from huracan.trading.backtest import BacktestResult, replay
from huracan.trading.baselines import run_baselines
from huracan.trading.config import EnvConfig
from huracan.trading.market_data import MarketData

torch.set_num_threads(1)
DAY = Timeframe.parse("1d")
PLANTED = MARKET_PRESETS["planted"]
SMALL = TrainConfig(timesteps=8192, n_envs=8, n_steps=128, batch_size=256, n_epochs=2, eval_every_rollouts=2)
"""A run of about a second, for tests that need a model, not a good one."""


def planted_frame(n: int, seed: int = 2) -> pd.DataFrame:
    series = SimulatedSeries(seed, "BTC/USDT", DAY, 1_546_300_800_000, params=PLANTED)
    columns = series.columns(0, n)
    index = pd.to_datetime(series.origin_ms + np.arange(n) * DAY.ms, unit="ms", utc=True).rename("open_time")
    return pd.DataFrame({c: columns[c] for c in ("open", "high", "low", "close", "volume")}, index=index)


def backtest_on(model: PPO, data: MarketData, window: Window) -> BacktestResult:
    table = policy_action_table(model, data.features, window.start_row, window.end_row)
    return replay(data, table, window.start_row, window.end_row, EnvConfig())


def test_same_data_config_and_seed_give_the_same_model_and_backtest() -> None:
    data = MarketData.from_candles(planted_frame(800), DAY)
    split = walk_forward_split(data)
    first, first_cb = fit(data, split, seed=7, config=SMALL)
    second, second_cb = fit(data, split, seed=7, config=SMALL)
    other, _ = fit(data, split, seed=8, config=SMALL)
    weights = [model.policy.state_dict() for model in (first, second, other)]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    assert not all(torch.equal(weights[0][k], weights[2][k]) for k in weights[0])
    assert first_cb.history == second_cb.history and first_cb.best_timesteps == second_cb.best_timesteps
    a, b = backtest_on(first, data, split.test), backtest_on(second, data, split.test)
    assert np.array_equal(a.equity_quote, b.equity_quote) and np.array_equal(a.levels, b.levels)
    assert a.metrics == b.metrics


def test_a_short_run_learns_the_planted_trends_and_beats_the_baselines_out_of_sample() -> None:
    """The learning test: ~60k steps (a few seconds) must beat buy & hold and the random agent on the
    test window, which training never saw. The same run with learning rate 0 (the untrained policy)
    must not, so a broken learner fails this test."""
    data = MarketData.from_candles(planted_frame(2000), DAY)
    split = walk_forward_split(data)
    test = split.test
    baselines = run_baselines(data, test.start_row, test.end_row, EnvConfig())
    hold, rand = baselines["buy_and_hold"].metrics, baselines["random"].metrics
    config = TrainConfig(timesteps=61_440, learning_rate=1e-3, eval_every_rollouts=2)

    def beats_baselines(learning_rate: float) -> bool:
        model, _ = fit(data, split, seed=0, config=replace(config, learning_rate=learning_rate))
        result = backtest_on(model, data, test).metrics
        return all(result[key] > max(hold[key], rand[key]) for key in ("total_return", "sharpe"))

    assert hold["total_return"] > 0.5  # a rising market: beating buy & hold takes timing, not just sitting out
    assert beats_baselines(1e-3)
    assert not beats_baselines(0.0)


def test_the_median_seed_by_validation_score_is_chosen() -> None:
    outcomes = [SeedOutcome(seed, score, 0, {}) for seed, score in [(0, 0.5), (1, 2.0), (2, -1.0), (3, 1.0)]]
    assert median_seed(outcomes[:3]).seed == 0
    assert median_seed(outcomes).seed == 0  # even count: the lower middle
    assert median_seed(outcomes[1:2]).seed == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"batch_size": 100}, "divide the rollout"),
        ({"selection_metric": "win_rate"}, "selection_metric"),
        ({"timesteps": 0}, "timesteps"),
    ],
)
def test_bad_training_configs_say_what_to_change(changes: dict, message: str) -> None:
    with pytest.raises(TrainingError, match=message):
        TrainConfig(**changes)


@pytest.fixture
def stored(
    tmp_path: Path, mlflow_template: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Settings, SeriesKey]]:
    """Settings in a temporary home with 1,200 planted candles stored (not validated yet)."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(mlflow_template, home / "mlflow.db")
    uri = f"sqlite:///{home / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    settings = Settings(home=home, db_url=f"sqlite:///{tmp_path / 'store.db'}", mlflow_tracking_uri=uri)
    key = SeriesKey(settings.exchange, "BTC/USDT", "1d")
    frame = planted_frame(1200)
    rows = np.column_stack([frame.index.as_unit("ms").asi8, frame.to_numpy()])
    CandleStore.open(settings.store_url).upsert(key, rows)
    yield settings, key
    dispose_engines()


def test_training_refuses_a_series_never_validated_or_whose_validation_failed(
    stored: tuple[Settings, SeriesKey],
) -> None:
    settings, key = stored
    with pytest.raises(DataQualityError, match="never been validated"):
        train_series(settings, key.symbol, DAY, config=SMALL)
    store = CandleStore.open(settings.store_url)
    holes = store.read(key).index[600:610].as_unit("ms").asi8.tolist()
    with store.engine.begin() as connection:
        from sqlalchemy import text

        delete = text("DELETE FROM candles WHERE ts_ms >= :a AND ts_ms <= :b")
        connection.execute(delete, {"a": holes[0], "b": holes[-1]})
    assert not validate_series(settings, key, as_of_ms=holes[-1] + 700 * DAY.ms).success  # a 10-candle hole
    with pytest.raises(DataQualityError, match="latest"):
        train_series(settings, key.symbol, DAY, config=SMALL)
    client = MlflowClient(settings.mlflow_tracking_uri)
    assert client.get_experiment_by_name(naming.experiment_name("BTC/USDT", DAY)) is None  # no run started


def test_train_series_logs_every_seed_and_registers_the_median(stored: tuple[Settings, SeriesKey]) -> None:
    settings, key = stored
    assert validate_series(settings, key).success
    result = train_series(settings, key.symbol, DAY, seeds=(3, 1, 2), config=SMALL)
    client = MlflowClient(settings.mlflow_tracking_uri)
    name = "huracan-BTC-USDT-1d"
    assert result.model_name == name and result.version == "1"
    assert result.selected == median_seed(result.seeds) and [o.seed for o in result.seeds] == [3, 1, 2]

    group = client.get_run(result.group_run_id).data.tags[naming.TAG_GROUP]
    runs = client.search_runs(
        [client.get_experiment_by_name(name).experiment_id],
        filter_string=f"tags.`{naming.TAG_GROUP}` = '{group}'",
    )
    seeds = {run.data.tags[naming.TAG_SEED]: run for run in runs if run.data.tags[naming.TAG_ROLE] == "seed"}
    assert set(seeds) == {"1", "2", "3"} and len(runs) == 4
    run = seeds[str(result.selected.seed)]
    assert run.info.run_id == result.selected.run_id
    assert run.data.tags["mlflow.parentRunId"] == result.group_run_id
    params = run.data.params
    assert params["seed"] == str(result.selected.seed) and params["seeds"] == "3,1,2"
    assert params["data.sha256"] == result.data.sha256 and params["data.rows"] == "1200"
    assert params["data.symbol"] == "BTC/USDT" and params["data.exchange"] == settings.exchange
    assert params["split.test_start_ms"] == str(result.split.test.start_ms)
    assert params["ppo.timesteps"] == "8192" and params["costs.taker_fee_frac"] == "0.001"
    assert params["code.version"].startswith("huracan ")
    curves = {"train/value_loss", "train/rollout/ep_rew_mean", "eval/sharpe", "eval/total_return"}
    assert curves <= set(run.data.metrics)
    history = client.get_metric_history(run.info.run_id, "eval/sharpe")
    assert [m.step for m in history] == [0, 2048, 4096, 6144, 8192]

    version = client.get_model_version_by_alias(name, naming.CHALLENGER)
    assert str(version.version) == "1" and version.run_id == result.selected.run_id
    assert version.tags["huracan.test_start_ms"] == str(result.split.test.start_ms)
    policy = mlflow.pyfunc.load_model(f"models:/{name}@challenger")
    data = MarketData.from_candles(CandleStore.open(settings.store_url).read(key), DAY)
    rows = slice(result.split.test.start_row, result.split.test.start_row + 50)
    predicted = policy.predict(observation_frame(data.features[rows]))
    assert predicted["action"].between(0, 5).all() and len(predicted) == 50
    assert list(Path(settings.home, "mlartifacts").iterdir())  # artifacts under HURACAN_HOME, not ./mlruns

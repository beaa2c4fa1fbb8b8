"""Training in MLflow: every seed logged under a parent run, their ensemble registered as ``challenger``
(one seed: its own model), and the quality gate in front of it all."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient

from huracan.config import Settings
from huracan.data.candle_store import CandleStore, SeriesKey
from huracan.errors import DataQualityError
from huracan.numerics import numerics_label
from huracan.quality import validate_series
from huracan.registry import naming
from huracan.registry.keys import RunTags
from huracan.registry.training import train_series
from huracan.rl.batch_policy import SeedEnsemble, mean_probabilities
from huracan.rl.fingerprint import policy_sha256
from huracan.rl.pyfunc import observation_frame
from huracan.rl.split import WalkForwardSplit
from huracan.rl.train import TrainConfig
from huracan.timeframes import Timeframe
from huracan.trading.market_data import MarketData

SYMBOL = "BTC/USDT"
DAY = Timeframe.parse("1d")
Planted = tuple[MarketData, WalkForwardSplit]
SMALL = TrainConfig(timesteps=8192, n_envs=8, n_steps=128, batch_size=256, n_epochs=2, eval_every_rollouts=2)
"""A run of about a second, for tests that need a model, not a good one."""


def test_training_refuses_a_series_never_validated_or_whose_validation_failed(
    model_settings: Settings, planted: Planted
) -> None:
    settings, key = model_settings, SeriesKey(model_settings.exchange, SYMBOL, "1d")
    with pytest.raises(DataQualityError, match="never been validated"):
        train_series(settings, key.symbol, DAY, train_config=SMALL)
    store = CandleStore.open(settings.store_url)
    holes = store.read(key).index[600:610].as_unit("ms").asi8.tolist()
    with store.engine.begin() as connection:
        from sqlalchemy import text

        delete = text("DELETE FROM candles WHERE ts_ms >= :a AND ts_ms <= :b")
        connection.execute(delete, {"a": holes[0], "b": holes[-1]})
    assert not validate_series(settings, key, as_of_ms=holes[-1] + 700 * DAY.ms).success  # a 10-candle hole
    with pytest.raises(DataQualityError, match="latest"):
        train_series(settings, key.symbol, DAY, train_config=SMALL)
    client = MlflowClient(settings.mlflow_tracking_uri)
    assert client.get_experiment_by_name(naming.experiment_name("BTC/USDT", DAY)) is None  # no run started


@pytest.mark.slow
def test_train_series_logs_every_seed_and_registers_their_ensemble(model_settings: Settings, planted: Planted) -> None:
    settings, key = model_settings, SeriesKey(model_settings.exchange, SYMBOL, "1d")
    assert validate_series(settings, key).success
    result = train_series(settings, key.symbol, DAY, seeds=(3, 1, 2), train_config=SMALL, run_label="manual__1")
    client = MlflowClient(settings.mlflow_tracking_uri)
    name = "huracan-BTC-USDT-1d"
    assert result.model_name == name and result.version == "1" and not result.reused
    assert [o.seed for o in result.seeds] == [3, 1, 2]
    registered = result.registered
    assert registered.seeds == (3, 1, 2) and registered.run_id == result.group_run_id
    assert registered.label == "ensemble of seeds 3, 1, 2"

    group = RunTags.from_tags(client.get_run(result.group_run_id).data.tags).group_id
    runs = client.search_runs(
        [client.get_experiment_by_name(name).experiment_id],
        filter_string=f"tags.`huracan.group_id` = '{group}'",
    )
    seeds = {run.data.tags["huracan.seed"]: run for run in runs if run.data.tags["huracan.role"] == "seed"}
    assert set(seeds) == {"1", "2", "3"} and len(runs) == 4
    parent = client.get_run(result.group_run_id)
    assert parent.data.tags["airflow.run_id"] == "manual__1"
    assert parent.data.tags["huracan.model_uri"] == registered.model_uri
    assert parent.data.tags["huracan.registered_version"] == "1" and "huracan.selected_seed" not in parent.data.tags
    assert all("airflow.run_id" not in run.data.tags for run in seeds.values())
    assert all("huracan.selected" not in run.data.tags for run in seeds.values())
    assert all(run.data.tags["mlflow.parentRunId"] == result.group_run_id for run in seeds.values())
    run = seeds["1"]
    params = run.data.params
    assert params["seed"] == "1" and params["seeds"] == "3,1,2"
    assert params["data.sha256"] == result.data.sha256 and params["data.rows"] == "1200"
    assert params["data.symbol"] == "BTC/USDT" and params["data.exchange"] == settings.exchange
    assert params["split.test_start_ms"] == str(result.split.test.start_ms)
    assert params["ppo.timesteps"] == "8192" and params["costs.taker_fee_frac"] == "0.001"
    assert params["code.version"].startswith("huracan ")
    assert parent.data.params["seeds"] == "3,1,2" and "seed" not in parent.data.params
    curves = {"train/value_loss", "train/rollout/ep_rew_mean", "eval/sharpe", "eval/total_return"}
    assert curves <= set(run.data.metrics)
    history = client.get_metric_history(run.info.run_id, "eval/sharpe")
    assert [m.step for m in history] == [0, 2048, 4096, 6144, 8192]
    assert parent.data.metrics["eval/ensemble_sharpe"] == pytest.approx(registered.validation_score)

    version = client.get_model_version_by_alias(name, naming.CHALLENGER)
    assert str(version.version) == "1" and version.run_id == result.group_run_id
    assert version.tags["huracan.test_start_ms"] == str(result.split.test.start_ms)
    assert "huracan.seed" not in version.tags and version.tags["huracan.policy_sha256"] == registered.policy_sha256
    assert float(version.tags["huracan.validation_score"]) == pytest.approx(registered.validation_score)
    # the floating-point path it was trained on, pinned by importing huracan (huracan.numerics)
    assert version.tags["huracan.numerics"] == parent.data.tags["huracan.numerics"] == numerics_label()
    assert "MKL_CBWR=COMPATIBLE" in numerics_label()

    # the registered model decides with the mean probabilities of the seeds' own logged models
    policy = mlflow.pyfunc.load_model(f"models:/{name}@challenger")
    members = [mlflow.pyfunc.load_model(o.model_uri).unwrap_python_model().model for o in result.seeds]
    data = MarketData.from_candles(CandleStore.open(settings.store_url).read(key), DAY)
    rows = slice(result.split.test.start_row, result.split.test.start_row + 50)
    obs = observation_frame(data.features[rows])
    predicted = policy.predict(obs)
    expected = mean_probabilities(members, obs.to_numpy(np.float32)).argmax(axis=1)
    assert predicted["action"].tolist() == expected.tolist() and len(predicted) == 50
    ensemble = policy.unwrap_python_model().model
    assert isinstance(ensemble, SeedEnsemble) and ensemble.seeds == (3, 1, 2)
    assert policy_sha256(ensemble) == registered.policy_sha256
    assert list(Path(settings.home, "mlartifacts").iterdir())  # artifacts under HURACAN_HOME, not ./mlruns

    again = train_series(settings, key.symbol, DAY, seeds=(3, 1, 2), train_config=SMALL)
    assert (again.reused, again.version) == (True, "1")  # the same ensemble: no second version


def test_a_retrain_that_changes_nothing_registers_no_second_version(model_settings: Settings, planted: Planted) -> None:
    settings, key = model_settings, SeriesKey(model_settings.exchange, SYMBOL, "1d")
    assert validate_series(settings, key).success
    first = train_series(settings, key.symbol, DAY, seeds=(1,), train_config=SMALL)
    again = train_series(settings, key.symbol, DAY, seeds=(1,), train_config=SMALL)
    assert (first.reused, again.reused) == (False, True)
    assert first.registered.seeds == (1,) and first.registered.run_id == first.seeds[0].run_id  # the seed's own
    assert again.version == first.version == "1" and again.registered.policy_sha256 == first.registered.policy_sha256
    other = train_series(settings, key.symbol, DAY, seeds=(2,), train_config=SMALL)  # different weights
    assert (other.reused, other.version) == (False, "2")
    client = MlflowClient(settings.mlflow_tracking_uri)
    assert sorted(int(v.version) for v in client.search_model_versions(f"name = '{first.model_name}'")) == [1, 2]
    # the twin of a challenger that lost its alias gets it back, so the gate judges it again
    back = train_series(settings, key.symbol, DAY, seeds=(1,), train_config=SMALL)
    assert (back.reused, back.version) == (True, "1")
    assert str(client.get_model_version_by_alias(first.model_name, naming.CHALLENGER).version) == "1"

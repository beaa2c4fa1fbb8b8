"""Backtesting registered models: default window, determinism, MLflow logging, model references, the
pyfunc model, and the comparison table."""

from __future__ import annotations

import json
from collections.abc import Callable

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient
from stable_baselines3 import PPO

from huracan.config import Settings
from huracan.errors import ConfigError, ModelNotFoundError
from huracan.features.observation import observations
from huracan.registry import naming
from huracan.registry.compare import compare_versions
from huracan.registry.evaluation import ACTIONS_ARTIFACT, evaluate, log_evaluation, write_plot
from huracan.registry.keys import RunTags
from huracan.registry.models import resolve
from huracan.registry.promotion import promote
from huracan.rl.batch_policy import policy_action_table
from huracan.rl.pyfunc import observation_frame
from huracan.rl.split import WalkForwardSplit
from huracan.timeframes import Timeframe
from huracan.trading.baselines import BASELINE_NAMES
from huracan.trading.market_data import MarketData

DAY = Timeframe.parse("1d")
SYMBOL = "BTC/USDT"
Planted = tuple[MarketData, WalkForwardSplit]
NAME = "huracan-BTC-USDT-1d"


@pytest.mark.slow
def test_backtest_defaults_to_the_test_window_is_deterministic_and_is_logged(
    model_settings: Settings,
    client: MlflowClient,
    planted: Planted,
    rule_policy: Callable[..., PPO],
    register_policy: Callable[..., str],
) -> None:
    data, split = planted
    version = register_policy(rule_policy(data, "ret_z_8"))
    first = evaluate(model_settings, client, SYMBOL, DAY)
    again = evaluate(model_settings, client, SYMBOL, DAY)
    assert first.model is not None and first.model.version == version and first.window_name == "test"
    assert (first.start_ms, first.end_ms) == (split.test.start_ms, split.test.end_ms)
    assert first.end_row - first.start_row == split.test.n_decisions
    assert np.array_equal(first.subject.equity_quote, again.subject.equity_quote)  # bit for bit
    assert first.subject.metrics == again.subject.metrics
    assert set(first.baselines) == set(BASELINE_NAMES) and not first.warnings
    assert first.subject.metrics["n_trades"] > 1  # the rule trades

    document = json.loads(json.dumps(first.as_json()))
    assert set(document["model"]) == set(first.subject.metrics)
    assert set(document["baselines"]) == set(BASELINE_NAMES)
    assert document["window"]["decisions"] == split.test.n_decisions

    plot = write_plot(model_settings, first)
    assert plot.is_file() and plot.read_bytes()[:4] == b"\x89PNG" and model_settings.home in plot.parents
    log_evaluation(client, first, plot)
    run = client.get_run(first.model.run_id)
    assert run.data.metrics["backtest/sharpe"] == pytest.approx(first.subject.metrics["sharpe"])
    assert run.data.metrics["backtest/buy_and_hold/total_return"] == pytest.approx(
        first.baselines["buy_and_hold"].metrics["total_return"]
    )
    assert run.data.tags["backtest.test.start_ms"] == str(split.test.start_ms)
    listed = [a.path for a in client.list_artifacts(first.model.run_id, "backtest")]
    assert listed == [ACTIONS_ARTIFACT, f"backtest/{plot.name}"]

    rows = compare_versions(client, SYMBOL, DAY)
    assert [(row.version, row.aliases) for row in rows] == [(version, (naming.CHALLENGER,))]
    assert rows[0].backtest["sharpe"] == pytest.approx(first.subject.metrics["sharpe"])
    assert rows[0].baselines["random"]["sharpe"] == pytest.approx(first.baselines["random"].metrics["sharpe"])
    assert rows[0].test_start_ms == split.test.start_ms


def test_other_windows_warn_when_in_sample_and_log_apart(
    model_settings: Settings,
    client: MlflowClient,
    planted: Planted,
    rule_policy: Callable[..., PPO],
    register_policy: Callable[..., str],
) -> None:
    data, split = planted
    register_policy(rule_policy(data, level=0))
    start_ms, end_ms = split.train.start_ms, split.validation.end_ms
    evaluation = evaluate(model_settings, client, SYMBOL, DAY, start_ms=start_ms, end_ms=end_ms)
    assert evaluation.window_name == "custom"
    assert evaluation.end_row - evaluation.start_row == split.train.n_decisions + split.validation.n_decisions
    assert any("in-sample" in warning for warning in evaluation.warnings)
    assert evaluation.subject.metrics["total_return"] == 0.0  # flat
    log_evaluation(client, evaluation, None)
    metrics = client.get_run(evaluation.model.run_id).data.metrics  # type: ignore[union-attr]
    assert not any(key.startswith("backtest/sharpe") for key in metrics)
    assert any(key.startswith("backtest/window_") and key.endswith("/sharpe") for key in metrics)


def test_a_baseline_alone_needs_no_model(model_settings: Settings, planted: Planted) -> None:
    data, _ = planted
    evaluation = evaluate(model_settings, None, SYMBOL, DAY, baseline="sma_crossover")
    assert evaluation.model is None and evaluation.subject is evaluation.baselines["sma_crossover"]
    assert (evaluation.start_row, evaluation.end_row) == (data.first_row, data.n_rows - 1)
    with pytest.raises(ConfigError, match="unknown baseline 'hodl'"):
        evaluate(model_settings, None, SYMBOL, DAY, baseline="hodl")
    with pytest.raises(ConfigError, match="not both"):
        evaluate(model_settings, None, SYMBOL, DAY, model="champion", baseline="flat")


def test_models_resolve_from_aliases_versions_and_uris(
    model_settings: Settings,
    client: MlflowClient,
    planted: Planted,
    rule_policy: Callable[..., PPO],
    register_policy: Callable[..., str],
) -> None:
    data, _ = planted
    with pytest.raises(ModelNotFoundError, match="no challenger or champion"):
        resolve(client, NAME)
    v1 = register_policy(rule_policy(data, "ret_z_8"))
    assert promote(model_settings, client, SYMBOL, DAY).decision.promote
    v2 = register_policy(rule_policy(data, level=5))
    run_id = resolve(client, NAME, v1).run_id
    logged = RunTags.from_tags(client.get_run(run_id).data.tags).model_uri
    for text, version in [
        (None, v2),
        ("champion", v1),
        ("@challenger", v2),
        (v1, v1),
        (f"models:/{NAME}@champion", v1),
        (f"models:/{NAME}/{v2}", v2),
    ]:
        assert resolve(client, NAME, text).version == version, text
    assert resolve(client, NAME, logged).run_id == run_id
    assert resolve(client, NAME, f"runs:/{run_id}/policy").run_id == run_id
    for missing, message in [("7", "no version 7"), ("shadow", "alias 'shadow'"), ("s3://x", "not a model URI")]:
        with pytest.raises(ModelNotFoundError, match=message):
            resolve(client, NAME, missing)


def test_the_registered_pyfunc_predicts_the_backtest_actions(
    client: MlflowClient, planted: Planted, rule_policy: Callable[..., PPO], register_policy: Callable[..., str]
) -> None:
    data, split = planted
    policy = rule_policy(data, "ret_z_8")
    register_policy(policy)
    loaded = mlflow.pyfunc.load_model(f"models:/{NAME}@challenger")
    rows = np.arange(split.test.start_row, split.test.end_row)
    levels = np.arange(len(rows)) % 6
    frame = observation_frame(observations(data.features[rows, :77], levels))
    frame = frame.sample(frac=1.0, random_state=0, axis=1)  # any column order
    predicted = loaded.predict(frame)
    table = policy_action_table(policy, data.features, split.test.start_row, split.test.end_row)
    assert predicted["action"].tolist() == table[rows, levels].tolist()
    assert np.array_equal(predicted["target_exposure_frac"].to_numpy(), predicted["action"].to_numpy() / 5)
    with pytest.raises(Exception, match="ret_z_1"):
        loaded.predict(frame.drop(columns=["ret_z_1"]))
    warm_up = observation_frame(observations(data.features[:3, :77], np.zeros(3, dtype=np.int64)))  # NaN rows
    with pytest.raises(Exception, match="3 input rows hold NaN"):
        loaded.predict(warm_up)

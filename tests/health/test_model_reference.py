"""What the model watch compares with, on a registered model of the planted market: the backtest's action
counts (logged by the backtest, read back) and the training window's feature range (built by the one
observation builder from the store's candles, logged to the model's run and read back by a new process)."""

from __future__ import annotations

import numpy as np
from mlflow import MlflowClient

from huracan.config import Settings
from huracan.data.candle_store import SeriesKey
from huracan.features.catalog import N_MARKET_FEATURES
from huracan.health import model_reference
from huracan.health.model_reference import FEATURE_RANGE_ARTIFACT, backtest_frequencies, training_range
from huracan.health.watch import drift_fraction
from huracan.registry.evaluation import evaluate, log_evaluation
from huracan.registry.models import version_ref
from huracan.registry.naming import model_name
from tests.registry.conftest import DAY, SYMBOL, rule_policy


def test_the_backtest_actions_and_the_training_range_are_logged_and_read_back(
    model_settings: Settings,
    client: MlflowClient,
    planted,
    register_policy,  # type: ignore[no-untyped-def]
) -> None:
    data, split = planted
    version = register_policy(rule_policy(data, "ret_z_8"))
    ref = version_ref(client, model_name(SYMBOL, DAY), version)
    assert backtest_frequencies(client, ref) is None  # not backtested yet
    evaluation = evaluate(model_settings, client, SYMBOL, DAY)
    log_evaluation(client, evaluation, None)
    expected = np.bincount(evaluation.subject.levels, minlength=6) / evaluation.subject.n_steps
    frequencies = backtest_frequencies(client, ref)
    assert frequencies is not None and np.allclose(frequencies, expected)
    assert frequencies[0] > 0 and frequencies[5] > 0  # the rule is flat or all in

    key = SeriesKey(model_settings.exchange, SYMBOL, "1d")
    trained = training_range(model_settings, client, ref, key)
    market = data.features[split.train.start_row : split.train.end_row, :N_MARKET_FEATURES]
    assert trained is not None and trained.rows == split.train.n_decisions
    assert np.array_equal(trained.low, market.min(axis=0)) and np.array_equal(trained.high, market.max(axis=0))
    assert [a.path for a in client.list_artifacts(ref.run_id, "health")] == [FEATURE_RANGE_ARTIFACT]
    # every training row lies inside the range, by definition; a test-window row may not
    assert drift_fraction(market[len(market) // 2], trained.low, trained.high) == 0.0
    model_reference._RANGES.clear()  # a new process reads the logged artifact back
    again = training_range(model_settings, client, ref, key)
    assert again is not None and np.array_equal(again.low, trained.low) and np.array_equal(again.high, trained.high)

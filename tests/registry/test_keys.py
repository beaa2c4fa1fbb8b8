"""The MLflow key contract: every record survives MLflow's strings unchanged, under the documented keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huracan.data.fingerprint import DataFingerprint
from huracan.registry.keys import (
    Role,
    RunTags,
    TrainingParams,
    VersionTags,
    backtest_key,
    env_config_from_params,
    env_config_params,
    gate_tags,
    gate_values,
    split_params,
    window_from_params,
)
from huracan.rl.split import WalkForwardSplit, Window
from huracan.rl.train import SELECTION_METRICS, TrainConfig
from huracan.trading.config import EnvConfig
from huracan.trading.costs import CostModel

CHECK = settings(max_examples=50, deadline=None, database=None)
texts = st.text(st.characters(codec="ascii", exclude_categories=("Cc",)), min_size=1, max_size=30)
ms = st.integers(0, 4_102_444_800_000)
fracs = st.floats(0.0, 0.1, allow_nan=False)


def as_mlflow(values: Mapping[str, object]) -> dict[str, str]:
    """What MLflow stores: every value as text (``log_params`` and ``set_tags`` call ``str``)."""
    return {key: str(value) for key, value in values.items()}


@st.composite
def splits(draw: st.DrawFn) -> WalkForwardSplit:
    rows = sorted(draw(st.lists(st.integers(0, 100_000), min_size=4, max_size=4, unique=True)))
    times = sorted(draw(st.lists(ms, min_size=4, max_size=4, unique=True)))
    names = ("train", "validation", "test")
    return WalkForwardSplit(*(Window(names[i], rows[i], rows[i + 1], times[i], times[i + 1]) for i in range(3)))


run_tags = st.builds(
    RunTags,
    role=st.sampled_from(Role),
    group_id=texts,
    code_version=st.none() | texts,
    numerics=st.none() | texts,
    exchange=st.none() | texts,
    symbol=st.none() | texts,
    timeframe=st.none() | texts,
    registered_model=st.none() | texts,
    seed=st.none() | st.integers(-(2**31), 2**31),
    model_uri=st.none() | texts,
    selected=st.booleans(),
    selected_seed=st.none() | st.integers(0, 2**31),
    registered_version=st.none() | st.integers(1, 10_000).map(str),
    airflow_run_id=st.none() | texts,
)
version_tags = st.builds(
    VersionTags,
    group_id=st.none() | texts,
    seed=st.none() | st.integers(0, 2**31),
    validation_metric=st.none() | st.sampled_from(SELECTION_METRICS),
    validation_score=st.none() | st.floats(allow_nan=False, allow_infinity=False),
    test_start_ms=st.none() | ms,
    test_end_ms=st.none() | ms,
    data_sha256=st.none() | texts,
    code_version=st.none() | texts,
    numerics=st.none() | texts,
    previous_champion=st.none() | st.integers(1, 10_000).map(str),
    rolled_back_at=st.none() | texts,
)
env_configs = st.builds(
    EnvConfig,
    initial_equity_quote=st.floats(1.0, 1e9),
    episode_length=st.none() | st.integers(1, 10_000),
    random_start=st.booleans(),
    costs=st.builds(CostModel, taker_fee_frac=fracs, maker_fee_frac=fracs, spread_frac=fracs),
    ruin_equity_frac=st.floats(0.0, 0.99),
    turnover_penalty=fracs,
    drawdown_penalty=fracs,
)
train_configs = st.builds(
    TrainConfig,
    timesteps=st.integers(1, 10**7),
    n_epochs=st.integers(1, 20),
    learning_rate=st.floats(0.0, 1.0),
    ent_coef=fracs,
    variance_penalty=st.floats(0.0, 100.0),
    net_arch=st.lists(st.integers(1, 512), min_size=1, max_size=3).map(tuple),
    selection_metric=st.sampled_from(SELECTION_METRICS),
)
fingerprints = st.builds(
    DataFingerprint,
    exchange=texts,
    symbol=texts,
    timeframe=texts,
    first_ms=ms,
    last_ms=ms,
    rows=st.integers(1, 10**7),
    sha256=st.text("0123456789abcdef", min_size=64, max_size=64),
)


@CHECK
@given(run_tags)
def test_run_tags_round_trip(tags: RunTags) -> None:
    assert RunTags.from_tags(as_mlflow(tags.to_tags())) == tags


@CHECK
@given(version_tags)
def test_version_tags_round_trip(tags: VersionTags) -> None:
    assert VersionTags.from_tags(as_mlflow(tags.to_tags())) == tags


@CHECK
@given(train_configs, env_configs, splits(), fingerprints, texts, st.lists(st.integers(0, 999), min_size=1), st.data())
def test_training_params_round_trip(
    train_config: TrainConfig,
    env_config: EnvConfig,
    split: WalkForwardSplit,
    data: DataFingerprint,
    code: str,
    seeds: list[int],
    draw: st.DataObject,
) -> None:
    seed = draw.draw(st.none() | st.sampled_from(seeds))
    record = TrainingParams(train_config, env_config, split, data, code, tuple(seeds), seed)
    params = as_mlflow(record.to_params())
    assert TrainingParams.from_params(params) == record
    assert env_config_from_params(params) == env_config
    assert [window_from_params(params, window.name) for window in split.windows] == list(split.windows)


def test_the_documented_keys() -> None:
    """The names the README, ``huracan compare`` and other tools rely on."""
    tags = RunTags(Role.SEED, "g1", seed=3, model_uri="models:/m-1", selected=True, airflow_run_id="manual__1")
    assert tags.to_tags() == {
        "huracan.role": "seed",
        "huracan.group_id": "g1",
        "huracan.seed": "3",
        "huracan.model_uri": "models:/m-1",
        "huracan.selected": "true",
        "airflow.run_id": "manual__1",
    }
    assert VersionTags(seed=3, test_start_ms=5, previous_champion="2").to_tags() == {
        "huracan.seed": "3",
        "huracan.test_start_ms": "5",
        "huracan.previous_champion": "2",
    }
    split = WalkForwardSplit(
        Window("train", 263, 300, 10, 20), Window("validation", 300, 320, 20, 30), Window("test", 320, 340, 30, 40)
    )
    params = split_params(split)
    assert params["split.test_start_ms"] == 30 and params["split.train_end_row"] == 300 and len(params) == 12
    env = env_config_params(EnvConfig())
    assert env["costs.taker_fee_frac"] == 0.001 and env["env.episode_length"] == 1024
    assert backtest_key("sharpe") == "backtest/sharpe"
    assert backtest_key("sharpe", "buy_and_hold") == "backtest/buy_and_hold/sharpe"
    assert gate_values(gate_tags({"decision": "promoted", "reason": "x" * 6000})) == {
        "decision": "promoted",
        "reason": "x" * 5000,
    }


def test_partial_records_read_back_as_none_and_defaults() -> None:
    """Runs logged by hand or before a key existed still read: missing keys are None (or the default)."""
    assert VersionTags.from_tags({}) == VersionTags()
    assert window_from_params({"split.test_start_ms": "1"}, "test") is None
    assert env_config_from_params({}) == EnvConfig()
    with pytest.raises(ValueError, match="window must be one of"):
        window_from_params({}, "holdout")
    split = WalkForwardSplit(
        Window("train", 263, 300, 10, 20), Window("validation", 300, 320, 20, 30), Window("test", 320, 340, 30, 40)
    )
    fingerprint = DataFingerprint("binance", "BTC/USDT", "1d", 1, 2, 3, "ab")
    logged = as_mlflow(TrainingParams(TrainConfig(), EnvConfig(), split, fingerprint, "v", (0,)).to_params())
    del logged["ppo.variance_penalty"]  # a run trained before the reward's risk aversion existed: plain log return
    assert TrainingParams.from_params(logged).train_config == replace(TrainConfig(), variance_penalty=0.0)
    with pytest.raises(KeyError):
        RunTags.from_tags({"huracan.seed": "1"})

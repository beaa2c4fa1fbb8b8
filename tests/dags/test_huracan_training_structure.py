"""The training DAG parses, has the intended shape, and every task can be retried."""

from __future__ import annotations

import copy
import itertools
from datetime import timedelta
from typing import Any

import pytest

GROUP_TASKS = ["download", "validate", "train", "backtest", "promote"]


def test_dag_folder_imports_without_errors(dag_bag: Any) -> None:
    assert dag_bag.import_errors == {}
    assert "huracan_training" in dag_bag.dag_ids


def test_schedule_and_run_settings(training_dag: Any) -> None:
    assert training_dag.schedule == "@daily"
    assert training_dag.catchup is False
    assert training_dag.max_active_runs == 1
    assert {"huracan", "training"} <= set(training_dag.tags)
    assert "Trigger with config" in training_dag.doc_md


def test_per_symbol_chain_is_a_mapped_task_group_after_plan(training_dag: Any) -> None:
    from airflow.sdk.definitions.taskgroup import MappedTaskGroup

    ids = [f"symbol.{name}" for name in GROUP_TASKS]
    assert set(training_dag.task_ids) == {"plan", *ids}
    group = training_dag.task_group_dict["symbol"]
    assert isinstance(group, MappedTaskGroup)
    # every task of the group receives the plan's job: plan is upstream of all of them
    assert training_dag.get_task("plan").downstream_task_ids == set(ids)
    for upstream, downstream in itertools.pairwise(ids):
        assert training_dag.get_task(upstream).downstream_task_ids == {downstream}
    assert training_dag.get_task(ids[-1]).downstream_task_ids == set()


def test_every_task_retries_and_download_backs_off(training_dag: Any) -> None:
    for task in training_dag.tasks:
        assert task.retries >= 2, task.task_id
        assert task.execution_timeout is not None, task.task_id
    download = training_dag.get_task("symbol.download")
    assert download.retry_exponential_backoff == 2.0
    assert download.max_retry_delay == timedelta(minutes=10)


@pytest.mark.parametrize("task_id", ["plan", "symbol.validate"])
def test_bad_data_and_bad_config_fail_without_retrying(training_dag: Any, task_id: str) -> None:
    from airflow.sdk import RetryAction

    from huracan.errors import ConfigError, DataQualityError

    policy = training_dag.get_task(task_id).retry_policy
    assert policy.evaluate(DataQualityError("coverage 0.5"), 1, 3).action is RetryAction.FAIL
    assert policy.evaluate(ConfigError("bad param"), 1, 3).action is RetryAction.FAIL
    assert policy.evaluate(RuntimeError("transient"), 1, 3).action is RetryAction.DEFAULT


def test_download_retries_an_unavailable_exchange_but_not_an_unknown_symbol(training_dag: Any) -> None:
    from airflow.sdk import RetryAction

    from huracan.errors import ExchangeUnavailableError, UnknownSymbolError

    policy = training_dag.get_task("symbol.download").retry_policy
    assert policy.evaluate(UnknownSymbolError("FOO/USDT"), 1, 5).action is RetryAction.FAIL
    assert policy.evaluate(ExchangeUnavailableError("503"), 1, 5).action is RetryAction.DEFAULT


def test_assets_are_aliases_resolved_per_series_and_model(training_dag: Any) -> None:
    from airflow.sdk import AssetAlias

    assert training_dag.get_task("symbol.download").outlets == [AssetAlias(name="huracan_candles")]
    assert training_dag.get_task("symbol.promote").outlets == [AssetAlias(name="huracan_models")]


def test_params_have_defaults_and_are_validated(training_dag: Any) -> None:
    from airflow.sdk.exceptions import ParamValidationError

    params = training_dag.params
    assert set(params) == {"symbols", "timeframe", "history_start", "timesteps", "seeds", "promote"}
    defaults = params.validate()
    assert defaults["symbols"] == ["BTC/USDT"] and defaults["timeframe"] == "1d" and defaults["promote"] is True

    def validated(**conf: Any) -> dict[str, Any]:
        merged = copy.deepcopy(params)  # ParamsDict.update sets values on its Param objects
        merged.update(conf)
        return merged.validate()

    assert validated(symbols=["ETH/USDT", "SOL/USDT"], seeds=[1])["symbols"] == ["ETH/USDT", "SOL/USDT"]
    for bad in (
        {"symbols": ["btc-usdt"]},
        {"symbols": []},
        {"timeframe": "2d"},
        {"timesteps": 10},
        {"seeds": []},
        {"promote": "yes"},
    ):
        with pytest.raises(ParamValidationError):
            validated(**bad)


def test_plan_of_a_manual_run_without_logical_date_cuts_off_at_its_trigger_time(training_dag: Any) -> None:
    from types import SimpleNamespace

    import pendulum

    from huracan.clock import parse_instant_ms

    triggered = pendulum.datetime(2026, 6, 1, 13, 30, tz="UTC")
    jobs = training_dag.get_task("plan").python_callable(  # Airflow 3 leaves logical_date out of the context
        params=training_dag.params.validate(), dag_run=SimpleNamespace(run_after=triggered), run_id="manual__x"
    )
    assert [job["symbol"] for job in jobs] == ["BTC/USDT"]
    assert jobs[0]["until_ms"] == parse_instant_ms("2026-05-31") and jobs[0]["run_label"] == "manual__x"


def test_task_logs_say_what_each_task_did_in_words_not_the_raw_returned_dict(training_dag: Any) -> None:
    # the returned dicts carry epoch ms and full-precision floats; each task logs its result in words
    assert all(task.show_return_value_in_logs is False for task in training_dag.tasks)


def test_the_promote_task_sets_the_run_note_and_the_doc_says_where_results_show(training_dag: Any) -> None:
    import inspect

    source = inspect.getsource(training_dag.get_task("symbol.promote").python_callable)
    assert "publish_note(" in source
    assert "**note**" in training_dag.doc_md and "huracan_airflow_api" in training_dag.doc_md

"""What the DAG files share: the rules that bad data, a bad configuration and a live tick that cannot
succeed (its book does not reconcile, it is late) fail a task without retrying, the label of a mapped
task instance (its symbol), the failure callback that alerts, and the tasks' default arguments
(:func:`task_defaults`).

Light (``airflow.sdk`` only, which the DAG processor has loaded anyway): imported at DAG parse time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from airflow.sdk import ExceptionRetryPolicy, RetryAction, RetryRule

CONFIG_RULE = RetryRule(
    exception="huracan.errors.ConfigError", action=RetryAction.FAIL, reason="invalid run configuration"
)
"""An invalid run configuration does not heal by waiting."""

SYMBOL_LABEL = "{{ ti.xcom_pull(task_ids='plan')[ti.map_index]['symbol'] }}"
"""Mapped task instances are labelled with their symbol (the plan's job at the same map index)."""


LIVE_BOOK_RULES = (
    RetryRule(
        exception="huracan.errors.ReconciliationError",
        action=RetryAction.FAIL,
        reason="the exchange's book differs from ours and the book is halted; retrying cannot fix it",
    ),
    RetryRule(
        exception="huracan.errors.LateTickError",
        action=RetryAction.FAIL,
        reason="the tick ran after its candle stopped being the latest closed one; a retry would be later still",
    ),
)
"""A live tick's reconciliation mismatch and a tick too late for its candle: the next tick tries again."""


def no_retry_on_bad_data(reason: str, *more: RetryRule) -> ExceptionRetryPolicy:
    """Candles that failed the data-quality gate (``reason`` says what happens instead), a bad
    configuration and the errors of the ``more`` rules fail the task at once; anything else follows the
    task's retries."""
    rule = RetryRule(exception="huracan.errors.DataQualityError", action=RetryAction.FAIL, reason=reason)
    return ExceptionRetryPolicy(rules=[rule, *more, CONFIG_RULE])


def alert_on_failure(context: Mapping[str, Any]) -> None:
    """``on_failure_callback`` of every task: one alert (failed tick, or failed task) per task instance that
    failed for good, through the configured notifier; never raises. Imports the notifier only when called."""
    from huracan.config import get_settings
    from huracan.health.alerts import notify_safely, task_failure_alert

    ti = context["ti"]
    error = context.get("exception")
    alert = task_failure_alert(
        str(ti.dag_id), str(ti.run_id), str(ti.task_id), int(getattr(ti, "map_index", -1)), str(error or "failed")
    )
    notify_safely(get_settings(), lambda notifier: notifier.send(alert))


def task_defaults(retry_delay: timedelta, execution_timeout: timedelta, backoff: float | None = 2.0) -> dict[str, Any]:
    """``default_args`` of every DAG's tasks: two retries ``retry_delay`` apart (growing ``backoff`` times each
    retry; ``None``: fixed), ``execution_timeout``, the failure alert (one per task that fails for good), and
    the raw returned dict (epoch ms, every digit) kept to the XCom tab: each task logs what it did in words."""
    defaults: dict[str, Any] = {
        "owner": "huracan",
        "retries": 2,
        "retry_delay": retry_delay,
        "execution_timeout": execution_timeout,
        "on_failure_callback": alert_on_failure,
        "show_return_value_in_logs": False,
    }
    if backoff is not None:
        defaults["retry_exponential_backoff"] = backoff
    return defaults

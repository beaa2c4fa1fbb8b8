"""What both DAG files share: the rule that bad data or a bad configuration fails a task without
retrying, and the label of a mapped task instance (its symbol).

Light (``airflow.sdk`` only, which the DAG processor has loaded anyway): imported at DAG parse time.
"""

from __future__ import annotations

from airflow.sdk import ExceptionRetryPolicy, RetryAction, RetryRule

CONFIG_RULE = RetryRule(
    exception="huracan.errors.ConfigError", action=RetryAction.FAIL, reason="invalid run configuration"
)
"""An invalid run configuration does not heal by waiting."""

SYMBOL_LABEL = "{{ ti.xcom_pull(task_ids='plan')[ti.map_index]['symbol'] }}"
"""Mapped task instances are labelled with their symbol (the plan's job at the same map index)."""


def no_retry_on_bad_data(reason: str) -> ExceptionRetryPolicy:
    """Candles that failed the data-quality gate (``reason`` says what happens instead) and a bad
    configuration fail the task at once; anything else follows the task's retries."""
    rule = RetryRule(exception="huracan.errors.DataQualityError", action=RetryAction.FAIL, reason=reason)
    return ExceptionRetryPolicy(rules=[rule, CONFIG_RULE])

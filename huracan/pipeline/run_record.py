"""What a finished DAG run did, read back from the Airflow metadata database.

``make run`` and ``bench/pipeline.py`` run ``airflow dags test`` in a subprocess, then call
:func:`read_run` (with the same ``AIRFLOW_*`` environment) to get every task instance's state, timing,
label and returned value (XCom). Importing this module is cheap; Airflow loads on the first call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast


@dataclass(frozen=True)
class TaskRecord:
    """One task instance of the run.

    :param task_id: e.g. ``symbol.train`` (task group prefix included).
    :param map_index: index in the mapped task group (the symbol's position), -1 when not mapped.
    :param label: the rendered map index (the symbol), None when not mapped or never rendered.
    :param state: final state (``success``, ``failed``, ``upstream_failed``, ...).
    :param try_number: attempts made (0: never started).
    :param duration_s: wall time of the last attempt, s; None when it never ran.
    :param result: the returned value (XCom ``return_value``), None when there is none.
    :param start_date: when the last attempt started (UTC), None when it never ran.
    :param end_date: when it ended (UTC).
    """

    task_id: str
    map_index: int
    label: str | None
    state: str | None
    try_number: int
    duration_s: float | None
    result: Any = None
    start_date: datetime | None = None
    end_date: datetime | None = None

    @property
    def name(self) -> str:
        """The task id without its group, e.g. ``train``."""
        return self.task_id.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class RunRecord:
    """A DAG run and its task instances (ordered by start time, never-started ones last)."""

    dag_id: str
    run_id: str
    state: str | None
    logical_date: datetime | None
    start_date: datetime | None
    end_date: datetime | None
    conf: dict[str, Any]
    tasks: tuple[TaskRecord, ...]
    note: str | None = None

    @property
    def duration_s(self) -> float | None:
        """First task start to last task end, s (the DAG run's own start date is its logical date
        under ``airflow dags test``, so it is not used); None when no task ran."""
        starts = [t.start_date for t in self.tasks if t.start_date is not None]
        ends = [t.end_date for t in self.tasks if t.end_date is not None]
        if not starts or not ends:
            return None
        return (max(ends) - min(starts)).total_seconds()

    def task(self, task_id: str, map_index: int = -1) -> TaskRecord | None:
        """The task instance ``task_id`` at ``map_index``, or None."""
        return next((t for t in self.tasks if t.task_id == task_id and t.map_index == map_index), None)

    def jobs(self) -> list[dict[str, Any]]:
        """The per-symbol jobs the ``plan`` task returned (index = map index); empty if it failed."""
        plan = self.task("plan")
        return list(plan.result) if plan is not None and isinstance(plan.result, list) else []

    def symbol_tasks(self, map_index: int) -> list[TaskRecord]:
        """The mapped task instances of one symbol, in pipeline order."""
        return [t for t in self.tasks if t.map_index == map_index and t.task_id != "plan"]


def read_run(dag_id: str, run_id: str | None = None, logical_date: datetime | None = None) -> RunRecord:
    """Read a run of ``dag_id`` from the metadata database of the current ``AIRFLOW_*`` environment.

    :param run_id: the run; None means the run at ``logical_date``, or the latest run when both are None.
    :raises LookupError: no such run.
    """
    from airflow.models.dagrun import DagRun
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        query = select(DagRun).where(DagRun.dag_id == dag_id)
        if run_id is not None:
            query = query.where(DagRun.run_id == run_id)
        elif logical_date is not None:
            query = query.where(DagRun.logical_date == logical_date)
        run = session.scalars(query.order_by(DagRun.run_after.desc()).limit(1)).first()
        if run is None:
            raise LookupError(f"no run of {dag_id} with run_id={run_id} logical_date={logical_date}")
        # Airflow types get_many as Select[tuple[XComModel]]; scalars() yields the XComModel rows
        xcoms = cast(
            "Iterable[XComModel]",
            session.scalars(XComModel.get_many(run_id=run.run_id, dag_ids=dag_id, key="return_value")),
        )
        results = {(x.task_id, x.map_index): XComModel.deserialize_value(x) for x in xcoms}
        instances = sorted(
            run.get_task_instances(session=session),
            key=lambda ti: (ti.start_date is None, ti.start_date or datetime.max.replace(tzinfo=None), ti.map_index),
        )
        tasks = tuple(
            TaskRecord(
                task_id=ti.task_id,
                map_index=ti.map_index,
                label=ti.rendered_map_index,
                state=str(ti.state.value if hasattr(ti.state, "value") else ti.state) if ti.state else None,
                try_number=ti.try_number or 0,
                duration_s=ti.duration,
                result=results.get((ti.task_id, ti.map_index)),
                start_date=ti.start_date,
                end_date=ti.end_date,
            )
            for ti in instances
        )
        return RunRecord(
            dag_id=dag_id,
            run_id=run.run_id,
            state=str(run.state.value if hasattr(run.state, "value") else run.state) if run.state else None,
            logical_date=run.logical_date,
            start_date=run.start_date,
            end_date=run.end_date,
            conf=dict(run.conf or {}),
            tasks=tasks,
            note=run.note,
        )


def write_note(dag_id: str, run_id: str, note: str) -> None:
    """Set the note of a finished run of ``dag_id`` in the metadata database of the current ``AIRFLOW_*``
    environment (what the UI's note editor does).

    For the command line after ``airflow dags test`` (``make run``), where no API server runs; a task
    never calls this (Airflow 3 tasks may not touch the metadata database; the promote task goes through
    the REST API, :func:`huracan.pipeline.run_note.publish_note`).

    :raises LookupError: no such run.
    """
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        run = session.scalars(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)).first()
        if run is None:
            raise LookupError(f"no run of {dag_id} with run_id={run_id}")
        if run.dag_run_note is None:
            run.note = (note, None)
        else:
            run.dag_run_note.content = note

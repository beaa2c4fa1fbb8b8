"""The training DAG's side of Huracan: what ``dags/huracan_training.py`` calls, and how it runs locally.

Modules: ``jobs`` (a run's params and date become one job per symbol; light, imported by the DAG file),
``tasks`` (one function per DAG task, small JSON values in and out), ``run_record`` (a finished DAG run
read back from Airflow's database), ``summary`` (the run's human-readable summary), ``local_airflow``
(the project-local Airflow home), ``offline_run`` (``make run``) and ``mlflow_ui`` (``make mlflow-ui``).
This package imports nothing, so loading it never loads Airflow, pandas, torch or mlflow.
"""

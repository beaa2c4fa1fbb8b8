"""The host name Airflow records for a task instance, when several workers share one machine.

Airflow stores, per task instance, the host name of the worker that ran it (``[core] hostname_callable``,
called by the task runner). Containers each have their own host name; the Celery workers that
``make run-distributed`` starts on this one machine do not, so each gets ``HURACAN_WORKER_NAME`` in its
environment and this callable (``AIRFLOW__CORE__HOSTNAME_CALLABLE=huracan.pipeline.worker_hostname.worker_hostname``)
reports it. Stdlib only: every Airflow process and task imports it.
"""

from __future__ import annotations

import os
import socket

WORKER_NAME_VAR = "HURACAN_WORKER_NAME"


def worker_hostname() -> str:
    """``$HURACAN_WORKER_NAME`` when set (one per worker process), else this machine's FQDN."""
    return os.environ.get(WORKER_NAME_VAR) or socket.getfqdn()

"""The run note through Airflow's real REST API, and a real Airflow process tree stopped by the supervisor.

A training run is triggered in the temporary Airflow home (``airflow dags trigger``, no scheduler), the
API server runs under :func:`huracan.pipeline.process_tree.supervise` on a free port with the project's
local settings (the ``huracan_airflow_api`` connection, the admin password), the promote task's
:func:`~huracan.pipeline.run_note.publish_note` sets two symbols' lines, and SIGTERM to the supervisor
stops the API server and its workers, leaving none running.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from huracan.pipeline.local_airflow import API_CONNECTION_ENV, airflow_command, airflow_env

pytestmark = pytest.mark.slow

RUN_ID = "manual__note-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, supervisor: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert supervisor.poll() is None, "the API server stopped before it answered"
        try:
            with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=2):
                return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"the API server did not answer at {url} within {seconds} s")


def test_the_promote_tasks_lines_reach_the_runs_note_and_stopping_leaves_no_process(
    airflow_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huracan.pipeline.run_note import publish_note
    from huracan.pipeline.run_record import read_run

    port = _free_port()
    env = airflow_env({**os.environ, "AIRFLOW__API__PORT": str(port)}, airflow_db)
    env.pop(API_CONNECTION_ENV, None)
    env = airflow_env(env, airflow_db)  # the connection to this port, the password in this home
    for command in (("dags", "reserialize"), ("dags", "trigger", "huracan_training", "--run-id", RUN_ID)):
        done = subprocess.run(airflow_command(*command), env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    code = (
        "import os, sys; from huracan.pipeline.process_tree import supervise; "
        "from huracan.pipeline.local_airflow import airflow_command; "
        f"sys.exit(supervise(airflow_command('api-server', '--port', '{port}'), dict(os.environ), grace_s=20))"
    )
    supervisor = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}", supervisor, 180)
        monkeypatch.setenv(API_CONNECTION_ENV, env[API_CONNECTION_ENV])
        btc, eth = "- **BTC/USDT 1d** [v1](u): **rejected**, needed: x", "- **ETH/USDT 1d** [v2](u): **promoted**"
        assert publish_note("huracan_training", RUN_ID, btc).startswith("run note set through the Airflow API")
        assert publish_note("huracan_training", RUN_ID, eth).startswith("run note set")
        assert read_run("huracan_training", run_id=RUN_ID).note == f"{btc}\n{eth}"
        wrong = dict(json.loads(env[API_CONNECTION_ENV]), password="wrong")
        monkeypatch.setenv(API_CONNECTION_ENV, json.dumps(wrong))
        assert "HTTP 401" in publish_note("huracan_training", RUN_ID, "- **BTC/USDT 1d** [v9](u): x")
        tree = psutil.Process(supervisor.pid).children(recursive=True)
        assert tree  # the API server (one worker: AIRFLOW__API__WORKERS=1)
    finally:
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=60) == 0
    time.sleep(0.5)
    alive = [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == []

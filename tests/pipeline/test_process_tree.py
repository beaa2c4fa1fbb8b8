"""Stopping the supervised local Airflow stops every process it started.

The supervisor runs in its own process (as ``make airflow-ui`` runs it) around a stand-in for ``airflow
standalone`` that starts what standalone starts, in the ways that escaped before: a child in the same
process group, a child in a session of its own (as the Task SDK starts task processes), a grandchild
orphaned by its parent's exit, and a child that ignores SIGTERM. Then SIGINT (Ctrl-C) or SIGTERM goes to
the supervisor: it must exit, and no process of the tree may survive.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

SPAWNER = textwrap.dedent(
    """
    import os, signal, subprocess, sys, time
    pids = sys.argv[1]
    sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
    stubborn = [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"]
    orphan_maker = [sys.executable, "-c",
        "import subprocess, sys; p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'], "
        "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); print(p.pid, flush=True)"]
    started = [
        subprocess.Popen(sleeper),                          # same process group
        subprocess.Popen(sleeper, start_new_session=True),  # its own session, like a task process
        subprocess.Popen(stubborn),                         # ignores SIGTERM
    ]
    maker = subprocess.run(orphan_maker, capture_output=True, text=True)  # exits, leaving its child orphaned
    all_pids = [p.pid for p in started] + [int(maker.stdout.strip())]
    with open(pids + ".tmp", "w") as handle:
        handle.write(" ".join(map(str, all_pids)))
    os.replace(pids + ".tmp", pids)
    time.sleep(600)
    """
)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_stopping_the_supervisor_leaves_no_process_behind(tmp_path: Path, stop_signal: int) -> None:
    spawner, pids_file = tmp_path / "spawner.py", tmp_path / "pids"
    spawner.write_text(SPAWNER)
    supervisor_code = (
        "import os, sys; from huracan.pipeline.process_tree import supervise; "
        f"sys.exit(supervise([sys.executable, {str(spawner)!r}, {str(pids_file)!r}], dict(os.environ), grace_s=2))"
    )
    supervisor = subprocess.Popen([sys.executable, "-c", supervisor_code])
    deadline = time.monotonic() + 30
    while not pids_file.exists():
        assert time.monotonic() < deadline, "the stand-in did not start its processes"
        assert supervisor.poll() is None
        time.sleep(0.1)
    pids = [int(pid) for pid in pids_file.read_text().split()]
    time.sleep(1.0)  # the supervisor looks at the tree every 0.5 s
    assert all(_running(pid) for pid in pids)
    supervisor.send_signal(stop_signal)
    assert supervisor.wait(timeout=30) == 0  # a requested stop is a clean exit
    time.sleep(0.2)
    assert [pid for pid in pids if _running(pid)] == []


def test_the_supervisor_returns_the_commands_exit_code_and_cleans_up_after_it(tmp_path: Path) -> None:
    from huracan.pipeline.process_tree import supervise

    pid_file = tmp_path / "pid"
    code = (
        "import subprocess, sys; "
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'], start_new_session=True); "
        f"open({str(pid_file)!r}, 'w').write(str(p.pid)); import time; time.sleep(1); sys.exit(3)"
    )
    assert supervise([sys.executable, "-c", code], dict(os.environ), grace_s=2) == 3
    assert not _running(int(pid_file.read_text()))

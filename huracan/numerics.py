"""One floating-point path for torch on every x86-64 machine, so that a seed trains the same model anywhere.

PPO amplifies the last bit of a float: two machines that round one matrix product differently train
different policies from the same seed and data, and their test Sharpes differ by far more than any
setting does (measured: the same commit, seeds and candles on two machines of different CPUs; see
``docs/models.md``). torch picks its arithmetic by CPU at run time in two places, and both are pinned
here, before torch first loads:

- MKL's matrix products (every ``Linear``): ``MKL_CBWR=COMPATIBLE``, MKL's conditional numerical
  reproducibility branch that gives the same results on every x86-64 CPU, Intel or not (``AUTO``, the
  default, dispatches by vendor and instruction set; the ``AVX2`` branch is Intel's only);
- ATen's vectorised kernels (softmax, tanh, Adam's update, ...): ``ATEN_CPU_CAPABILITY=avx2``, the
  widest set every x86-64 server of the last decade has (an AVX-512 machine would otherwise use it).

Measured on the 2-core machine of ``docs/models.md``: no slower (the networks are 80 x 64 x 64). Variables
a user set already are kept, and :func:`numerics_label` records the path each training ran on
(``huracan.numerics`` on its runs), so a model can be checked against another run of the same seed.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

PINNED: dict[str, str] = {"MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "avx2"}
"""The environment variables that fix torch's floating-point path, and their values."""


def pin_numerics() -> None:
    """Set :data:`PINNED` in this process's environment where unset (children inherit it). Effective only
    before torch loads: ``huracan/__init__.py`` calls it, so every entry point through the package does."""
    for name, value in PINNED.items():
        os.environ.setdefault(name, value)


def numerics_label() -> str:
    """The floating-point path torch runs on in this process, e.g.
    ``torch 2.13.0, ATen AVX2, MKL_CBWR=COMPATIBLE`` (loads torch)."""
    import torch

    return (
        f"torch {torch.__version__}, ATen {torch.backends.cpu.get_cpu_capability()}, "
        f"MKL_CBWR={os.environ.get('MKL_CBWR', 'AUTO')}"
    )


def check_pinned() -> None:
    """Warn when torch runs on other ATen kernels than :data:`PINNED` asks for: torch was loaded before
    :mod:`huracan` (or the variable was set otherwise), so this process's models may not be the ones
    another machine trains from the same seed."""
    import torch

    running = torch.backends.cpu.get_cpu_capability().lower()
    wanted = os.environ.get("ATEN_CPU_CAPABILITY", PINNED["ATEN_CPU_CAPABILITY"]).lower()
    if running != wanted:
        log.warning(
            "torch computes with ATen %s, not the pinned %s (torch was loaded before huracan, or this CPU "
            "lacks it): a seed's model here may differ from another machine's",
            running,
            wanted,
        )

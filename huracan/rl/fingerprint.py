"""What a training run was trained with: the code version (the data fingerprint is in
:mod:`huracan.data.fingerprint`); and what it made: the digest of a policy's weights.

Both are logged with every MLflow run, so a model can be traced to the exact candles and source that
made it (and a retrain on the same fingerprint, config and seed gives the same model).
"""

from __future__ import annotations

import logging
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import huracan

if TYPE_CHECKING:
    from stable_baselines3.common.base_class import BaseAlgorithm

    from huracan.rl.batch_policy import SeedEnsemble

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def code_version() -> str:
    """``huracan <version>`` plus the git commit of the source checkout (``+dirty`` with local changes).

    Only read-only git commands run (``--no-optional-locks``: no index refresh); outside a checkout, or
    without git, it is the package version alone.
    """
    version = f"huracan {huracan.__version__}"
    root = Path(huracan.__file__).resolve().parents[1]
    if not (root / ".git").exists():
        return version
    try:
        git = ["git", "--no-optional-locks", "-C", str(root)]
        commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True)
        status = subprocess.run(
            [*git, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("no git commit for the code version: %s", exc)
        return version
    dirty = "+dirty" if status.stdout.strip() else ""
    return f"{version} git {commit.stdout.strip()}{dirty}"


def policy_sha256(model: BaseAlgorithm | SeedEnsemble) -> str:
    """SHA-256 of a policy's weights (every tensor of its state dict, by name, as bytes); of a
    :class:`~huracan.rl.batch_policy.SeedEnsemble`, of its members' seeds and digests in order.

    Two trainings on the same candles, config, code and seed give the same digest (training is
    deterministic); the registry uses it to recognise a retrain that changed nothing.
    """
    import hashlib

    from huracan.rl.batch_policy import SeedEnsemble

    digest = hashlib.sha256()
    if isinstance(model, SeedEnsemble):
        for seed, member in zip(model.seeds, model.members, strict=True):
            digest.update(f"seed {seed} {policy_sha256(member)}".encode())
        return digest.hexdigest()
    for name, tensor in sorted(model.policy.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()

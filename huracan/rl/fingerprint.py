"""What a training run was trained on and with: the data fingerprint and the code version.

Both are logged with every MLflow run, so a model can be traced to the exact candles and source that
made it (and a retrain on the same fingerprint, config and seed gives the same model).
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

import huracan

if TYPE_CHECKING:
    import pandas as pd

    from huracan.data.candle_store import SeriesKey

log = logging.getLogger(__name__)

_COLUMNS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class DataFingerprint:
    """Identity of a candle frame.

    :param exchange: ccxt exchange id of the series.
    :param symbol: unified symbol ("BTC/USDT").
    :param timeframe: timeframe name ("1d").
    :param first_ms: open time of the first candle, ms UTC.
    :param last_ms: open time of the last candle, ms UTC.
    :param rows: number of candles.
    :param sha256: hex SHA-256 of the open times (int64 ms) followed by open, high, low, close, volume
        (float64), each as little-endian bytes, column after column.
    """

    exchange: str
    symbol: str
    timeframe: str
    first_ms: int
    last_ms: int
    rows: int
    sha256: str

    def as_params(self) -> dict[str, str | int]:
        """``data.<field>`` values, as logged to MLflow."""
        return {f"data.{name}": value for name, value in asdict(self).items()}


def fingerprint(key: SeriesKey, candles: pd.DataFrame) -> DataFingerprint:
    """The fingerprint of ``candles`` (a candle frame, at least one row) of the series ``key``."""
    if len(candles) == 0:
        raise ValueError(f"cannot fingerprint an empty frame of {key}")
    open_ms = candles.index.as_unit("ms").asi8.astype("<i8")
    digest = hashlib.sha256(np.ascontiguousarray(open_ms).tobytes())
    for name in _COLUMNS:
        digest.update(np.ascontiguousarray(candles[name].to_numpy(dtype="<f8")).tobytes())
    return DataFingerprint(
        exchange=key.exchange,
        symbol=key.symbol,
        timeframe=key.timeframe,
        first_ms=int(open_ms[0]),
        last_ms=int(open_ms[-1]),
        rows=len(candles),
        sha256=digest.hexdigest(),
    )


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

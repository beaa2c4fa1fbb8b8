"""The backtest picture says where and why a ruined replay stops."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from huracan.clock import parse_instant_ms
from huracan.trading.backtest import BacktestResult
from huracan.trading.plot import line_label, plot_equity

DAY = 86_400_000


def _result(name: str, equity: list[float], ruined: bool) -> BacktestResult:
    start = parse_instant_ms("2025-01-01")
    times = np.arange(len(equity), dtype=np.int64) * DAY + start
    return BacktestResult(
        name=name,
        times_ms=times,
        equity_quote=np.asarray(equity),
        levels=np.zeros(len(equity) - 1, dtype=np.int64),
        metrics={"total_return": equity[-1] / equity[0] - 1.0},
        ruined=ruined,
    )


def test_a_ruined_line_says_when_it_stopped_and_a_whole_one_does_not(tmp_path: Path) -> None:
    ruined = _result("buy_and_hold", [100.0, 50.0, 9.0], ruined=True)
    whole = _result("model", [100.0, 101.0, 102.0, 103.0], ruined=False)
    assert line_label(ruined) == "buy_and_hold (-91.0%), stopped 2025-01-03: equity at the ruin level (X)"
    assert line_label(whole) == "model (+3.0%)"
    path = plot_equity([whole, ruined], tmp_path / "plot.png", "t")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

"""``huracan compare``'s tables render every column and every value, unshortened, at 80 and 120 columns."""

from __future__ import annotations

import pytest
from rich.console import Console

from huracan.cli.compare_view import version_tables
from huracan.clock import parse_instant_ms
from huracan.registry.compare import VersionRow
from huracan.timeframes import Timeframe

HEADERS = ("version", "aliases", "seed", "gate", "sharpe", "return", "trades", "shadow")


def _row(version: str, aliases: tuple[str, ...], shadow: dict[str, object]) -> VersionRow:
    return VersionRow(
        version=version,
        aliases=aliases,
        created_ms=0,
        run_id="r" * 32,
        seed="2",
        validation_metric="sharpe",
        validation_score=1.2345,
        test_start_ms=parse_instant_ms("2025-03-01"),
        test_end_ms=parse_instant_ms("2025-11-30"),
        backtest={"sharpe": -1.4321, "total_return": -0.8812, "max_drawdown": 0.9123, "n_trades": 1234.0},
        baselines={
            "buy_and_hold": {"sharpe": 0.5678, "total_return": 12.3456},
            "sma_crossover": {"sharpe": -0.25},
            "random": {"sharpe": -3.75},
        },
        gate={"decision": "rejected"},
        shadow=shadow,
    )


@pytest.mark.parametrize("width", [80, 120])
def test_every_column_and_value_fits(width: int) -> None:
    rows = [_row("12", ("champion", "challenger"), {"sharpe": 1.5, "ticks": 345}), _row("11", (), {})]
    console = Console(width=width, record=True, color_system=None)
    for table in version_tables(rows, "BTC/USDT", Timeframe.parse("1d")):
        console.print(table)
    text = console.export_text()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    flat = " ".join(text.split())
    for header in HEADERS:
        assert header in flat, header
    for value in (
        "champion, challenger",
        "2025-03-01..2025-11-30",
        "rejected",
        "-1.432",
        "-88.12%",
        "91.23%",
        "1,234",
        "+1234.56%",
        "0.568",
        "-0.250",
        "-3.750",
        "1.50 (345)",
        "1.234",
    ):
        assert value in flat, value

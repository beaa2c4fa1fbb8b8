"""``huracan trades record`` then ``huracan trades analyze --json`` on stored fills and candles."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from huracan.cli.main import app
from huracan.data.candle_store import CandleStore
from huracan.execution.orders import Fill
from huracan.execution.store import ExecutionStore
from huracan.features.candles import open_times_ms
from huracan.features.synthetic import random_walk_candles
from huracan.memory.analysis import FEATURE_NAMES
from huracan.memory.store import TradeMemory
from huracan.risk.intent import Side
from huracan.series import SeriesKey

HOUR = 3_600_000


def test_record_then_analyze(store_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HURACAN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HURACAN_DB_URL", store_url)
    from huracan.config import get_settings

    get_settings.cache_clear()
    frame = random_walk_candles(400)
    ts = open_times_ms(frame)
    rows = np.column_stack([ts, frame[["open", "high", "low", "close", "volume"]].to_numpy()])
    CandleStore.open(store_url).upsert(SeriesKey("binance", "BTC/USDT", "1h"), rows)
    execution = ExecutionStore.open(store_url)
    t0 = int(ts[300])
    legs = [(t0, 100.0, 90.0), (t0 + 5 * HOUR, 100.0, 110.0), (t0 + 10 * HOUR, 100.0, 95.0)]
    with execution.transaction() as connection:
        for n, (entry_ms, buy, sell) in enumerate(legs):
            for side, price, at in (("buy", buy, entry_ms), ("sell", sell, entry_ms + 2 * HOUR)):
                execution.record_fill(
                    connection,
                    Fill(
                        f"t{n}{side}",
                        f"c{n}{side}",
                        "paper",
                        "BTC/USDT",
                        Side(side),
                        1.0,
                        price,
                        price,
                        0.1,
                        0.1,
                        False,
                        at,
                    ),
                )
    runner = CliRunner()
    recorded = runner.invoke(app, ["trades", "record", "--symbol", "BTC/USDT"])
    assert recorded.exit_code == 0, recorded.output
    assert "recorded 3 round trip(s)" in recorded.output
    stored = TradeMemory.open(store_url).trips("BTC/USDT")
    assert all(t.entry_obs is not None and len(t.entry_obs) == len(FEATURE_NAMES) for t in stored)
    out = runner.invoke(app, ["trades", "analyze", "--symbol", "BTC/USDT", "--source", "paper", "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["overall"]["trades"] == 3 and result["overall"]["win_rate"] == pytest.approx(1 / 3)
    assert result["overall"]["total_profit_quote"] == pytest.approx(-10 + 10 - 5 - 0.6)
    assert result["biggest_losers"][0]["profit_quote"] == pytest.approx(-10.2)
    assert len(result["biggest_losers"][0]["unusual_at_entry"]) == 3
    text = runner.invoke(app, ["trades", "analyze", "--symbol", "BTC/USDT"])
    assert text.exit_code == 0 and "biggest losers" in text.output
    get_settings.cache_clear()

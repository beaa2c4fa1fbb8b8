"""``huracan trades record`` then ``huracan trades analyze --json`` on stored fills and candles."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from huracan.cli.main import app
from huracan.memory.analysis import FEATURE_NAMES
from huracan.memory.store import TradeMemory
from tests.memory.conftest import store_candles_and_fills


def test_record_then_analyze(store_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HURACAN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HURACAN_DB_URL", store_url)
    from huracan.config import get_settings

    get_settings.cache_clear()
    store_candles_and_fills(store_url)
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
    gate = runner.invoke(app, ["trades", "gate", "--symbol", "BTC/USDT", "--k", "1", "--json"])
    assert gate.exit_code == 0, gate.output
    measured = json.loads(gate.output)
    # the first trade has no closed trade before it; the second's only neighbour (the first) lost: skipped
    assert (measured["trades"], measured["judged"]) == (3, 2) and measured["skipped_winners"] >= 1
    assert measured["without_gate"]["total_return"] == pytest.approx(0.898 * 1.098 * 0.948 - 1)  # fees in
    text = runner.invoke(app, ["trades", "gate", "--symbol", "BTC/USDT", "--account", "nobody"])
    assert text.exit_code == 0 and "0 trades" in text.output
    get_settings.cache_clear()

"""The daily refresh records every account's round trips under its own source and logs the analysis."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from huracan.config import Settings
from huracan.execution.exchange import LIVE_ACCOUNT
from huracan.memory.recording import source_of
from huracan.memory.refresh import refresh_trade_memory
from huracan.memory.store import TradeMemory
from tests.memory.conftest import store_candles_and_fills


def test_each_account_is_recorded_under_its_source_and_analysed(
    store_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(home=tmp_path / "home", db_url=store_url)
    store_candles_and_fills(store_url, ("paper", "shadow:huracan-BTC-USDT-1h/3", LIVE_ACCOUNT, "replay:m/1:0"))
    with caplog.at_level(logging.INFO, logger="huracan.memory.refresh"):
        report = refresh_trade_memory(settings, "1h")
    assert report["BTC/USDT"]["recorded"] == 12
    by_source = report["BTC/USDT"]["by_source"]
    assert {source: numbers["trades"] for source, numbers in by_source.items()} == {"live": 3, "paper": 6, "shadow": 3}
    assert by_source["live"]["total_profit_quote"] == pytest.approx(-10.2 + 9.8 - 5.2)
    memory = TradeMemory.open(store_url)
    assert {t.account for t in memory.trips("BTC/USDT", "1h", "shadow")} == {"shadow:huracan-BTC-USDT-1h/3"}
    assert sum("trade memory BTC/USDT 1h paper" in r.getMessage() for r in caplog.records) == 1
    assert refresh_trade_memory(settings, "1h") == report  # a rerun changes nothing
    assert len(memory.trips("BTC/USDT")) == 12


def test_an_empty_store_has_nothing_to_refresh(store_url: str, tmp_path: Path) -> None:
    assert refresh_trade_memory(Settings(home=tmp_path / "home", db_url=store_url), "1h") == {}


def test_the_source_of_an_account() -> None:
    assert [source_of(a) for a in (LIVE_ACCOUNT, "paper", "shadow:x/1", "replay:x/1:5")] == [
        "live",
        "paper",
        "shadow",
        "paper",
    ]

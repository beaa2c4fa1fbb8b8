"""Shadow records from the recorded decisions of a version, hand-computed."""

from __future__ import annotations

import math

import pytest

from huracan.live.decisions import Decision, DecisionStore
from huracan.live.shadow import shadow_account, version_record
from huracan.timeframes import Timeframe

HOUR = Timeframe.parse("1h")
T0 = 1_764_633_600_000


def decision(account: str, i: int, version: str, equity: float, action: int, verdict: str | None) -> Decision:
    return Decision(
        account, "BTC/USDT", "1h", T0 + i * HOUR.ms, "challenger", "huracan-BTC-USDT-1h", version, None,
        "0" * 64, action, 0, action / 5, None, verdict, "", "", equity, T0,
    )  # fmt: skip


def test_a_versions_record_is_its_shadow_accounts_equity_at_each_tick(store_url: str) -> None:
    store = DecisionStore.open(store_url)
    shadow = shadow_account("huracan-BTC-USDT-1h", "4")
    equity = [5_000.0, 5_100.0, 5_049.0, 5_150.0]
    for i, value in enumerate(equity):
        store.record(decision(shadow, i, "4", value, i % 2, "approved" if i % 2 else None))
    store.record(decision("paper", 0, "3", 5_000.0, 0, None))  # another version, another account
    record = version_record(store, "huracan-BTC-USDT-1h", "4", "BTC/USDT", HOUR)
    assert record is not None and record.account == shadow and record.ticks == 4 and record.orders == 2
    assert record.since_ms == T0
    assert record.total_return == pytest.approx(5_150 / 5_000 - 1, rel=1e-12)
    returns = [equity[i] / equity[i - 1] - 1 for i in range(1, 4)]
    mean = sum(returns) / 3
    std = math.sqrt(sum((r - mean) ** 2 for r in returns) / 2)
    assert record.sharpe == pytest.approx(mean / std * math.sqrt(8760), rel=1e-9)
    champion = version_record(store, "huracan-BTC-USDT-1h", "3", "BTC/USDT", HOUR)
    assert champion is not None and champion.account == "paper" and champion.ticks == 1
    assert version_record(store, "huracan-BTC-USDT-1h", "9", "BTC/USDT", HOUR) is None
    assert store.versions("huracan-BTC-USDT-1h", "BTC/USDT", "1h") == ["3", "4"]

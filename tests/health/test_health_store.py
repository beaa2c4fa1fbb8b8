"""The tick_health table on SQLite and PostgreSQL: an upsert per tick and account, the previous ok row, the
latest tick's rows."""

from __future__ import annotations

from huracan.config import Settings
from huracan.health.health_store import HealthStore, TickHealth, TickStatus
from huracan.health.watch import Watch

T0 = 1_654_066_800_000
HOUR_MS = 3_600_000


def _row(account: str, decision_ms: int, status: TickStatus, watch: Watch | None = None) -> TickHealth:
    return TickHealth(
        account, "BTC/USDT", "1h", decision_ms, status, 250, "passed", None, "m", "2", watch or Watch(), decision_ms
    )


def test_rows_upsert_and_read_back(settings: Settings) -> None:
    store = HealthStore.open(settings.store_url)
    store.record(_row("paper", T0, TickStatus.OK, Watch(30, 0.1, 0.0, 4, 1.2)))
    store.record(_row("paper", T0 + HOUR_MS, TickStatus.FAILED))
    store.record(_row("paper", T0 + HOUR_MS, TickStatus.OK, Watch(31, 0.2, 0.5, 5, 0.9)))  # the retry overwrites
    store.record(_row("shadow:m/3", T0 + HOUR_MS, TickStatus.OK))
    latest = store.latest("BTC/USDT", "1h")
    assert [(row.account, row.status) for row in latest] == [("paper", TickStatus.OK), ("shadow:m/3", TickStatus.OK)]
    assert latest[0].watch == Watch(31, 0.2, 0.5, 5, 0.9)
    assert store.latest("ETH/USDT", "1h") == []
    store.record(_row("paper", T0 + 2 * HOUR_MS, TickStatus.STALE))
    before = store.previous_ok("paper", "BTC/USDT", "1h", T0 + 3 * HOUR_MS)  # skips the stale one
    assert before is not None and before.decision_ms == T0 + HOUR_MS
    assert store.previous_ok("paper", "BTC/USDT", "1h", T0) is None
    assert store.get("paper", "BTC/USDT", "1h", T0) == _row("paper", T0, TickStatus.OK, Watch(30, 0.1, 0.0, 4, 1.2))

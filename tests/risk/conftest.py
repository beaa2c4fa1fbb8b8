"""Builders of intents and snapshots at a fixed instant, for the risk tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from huracan.clock import parse_instant_ms
from huracan.risk import AccountSnapshot, OrderIntent, PositionMark, Side

NOW_MS = parse_instant_ms("2026-12-02T10:00:00Z")
MINUTE_MS = 60_000


@pytest.fixture
def now_ms() -> int:
    """2026-12-02 10:00 UTC, the instant of the snapshots below unless told otherwise."""
    return NOW_MS


@pytest.fixture
def make_intent() -> Callable[..., OrderIntent]:
    """``make_intent(symbol, side, qty_base, price_quote, now_ms=NOW, age_ms=1 min, account="paper", ...)``:
    an intent decided at ``now_ms`` on a candle that closed ``age_ms`` before."""

    def make(
        symbol: str,
        side: str,
        qty_base: float,
        price_quote: float,
        now_ms: int = NOW_MS,
        age_ms: int = MINUTE_MS,
        account: str = "paper",
        source: str = "model:huracan-BTC-USDT-1h/3",
        reduce_only: bool = False,
    ) -> OrderIntent:
        return OrderIntent(
            account, symbol, Side(side), qty_base, price_quote, now_ms, now_ms - age_ms, source, reduce_only
        )

    return make


@pytest.fixture
def make_snapshot() -> Callable[..., AccountSnapshot]:
    """``make_snapshot(cash_quote, {symbol: (qty_base, mark_price_quote)}, now_ms=NOW, age_ms=1 min)``: marks
    whose candle closed ``age_ms`` before ``now_ms``."""

    def make(
        cash_quote: float,
        holdings: dict[str, tuple[float, float]],
        now_ms: int = NOW_MS,
        age_ms: int = MINUTE_MS,
        account: str = "paper",
    ) -> AccountSnapshot:
        positions = {symbol: PositionMark(qty, mark, now_ms - age_ms) for symbol, (qty, mark) in holdings.items()}
        return AccountSnapshot(account, now_ms, cash_quote, positions)

    return make

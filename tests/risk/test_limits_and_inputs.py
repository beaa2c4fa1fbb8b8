"""Limits from the settings, and the invariants intents and snapshots check when they are built."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from huracan.config import Settings
from huracan.errors import ConfigError, RiskError
from huracan.risk import AccountSnapshot, OrderIntent, PositionMark, RiskLimits, Side


def test_defaults_are_the_designs() -> None:
    limits = RiskLimits()
    assert (limits.max_position_quote, limits.daily_loss_limit_quote, limits.max_heat_frac) == (5_000, 500, 0.15)
    assert (limits.breaker_loss_quote, limits.daily_profit_target_quote) == (1_000, 1_000)
    assert (limits.max_order_notional_quote, limits.min_order_notional_quote) == (5_000, 10)
    assert (limits.price_band_frac, limits.stale_after_ms, limits.flatten_on_breaker) == (0.05, 7_200_000, False)
    assert RiskLimits.from_settings(Settings()) == limits


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HURACAN_RISK_MAX_POSITION_QUOTE", "2500")
    monkeypatch.setenv("HURACAN_RISK_DAILY_PROFIT_TARGET_QUOTE", "0")
    monkeypatch.setenv("HURACAN_RISK_FLATTEN_ON_BREAKER", "true")
    monkeypatch.setenv("HURACAN_PAPER_STARTING_EQUITY_QUOTE", "25000")
    settings = Settings()
    limits = RiskLimits.from_settings(settings)
    assert limits.max_position_quote == 2_500 and limits.flatten_on_breaker and not limits.profit_target_on
    assert settings.paper_starting_equity_quote == 25_000 and settings.account_currency == "USDT"


def test_a_bad_setting_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HURACAN_RISK_MAX_HEAT_FRAC", "1.5")
    with pytest.raises(ValidationError, match="risk_max_heat_frac"):
        Settings()


def test_bad_limits_are_all_named_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        RiskLimits(max_position_quote=0, max_heat_frac=1.2, price_band_frac=0, stale_after_ms=-5)
    message = str(caught.value)
    assert "max_position_quote must be a finite number > 0, got 0" in message
    assert "max_heat_frac must be a fraction in (0, 1], got 1.2" in message
    assert "price_band_frac must be a fraction in (0, 1), got 0" in message
    assert "stale_after_ms must be an integer number of ms > 0, got -5" in message


def test_a_minimum_above_the_maximum_order_is_refused() -> None:
    with pytest.raises(ConfigError, match="no buy could pass"):
        RiskLimits(min_order_notional_quote=100, max_order_notional_quote=50)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"qty_base": 0.0}, "qty_base must be a finite number > 0, got 0.0"),
        ({"qty_base": math.nan}, "qty_base must be a finite number > 0"),
        ({"price_quote": -1.0}, "price_quote must be a finite number > 0, got -1.0"),
        ({"side": "long"}, "side must be 'buy' or 'sell', got 'long'"),
        ({"source": "the model"}, "source must be 'model:<name>/<version>' or 'manual:<who>'"),
        ({"source": "model:huracan"}, "source must be"),
        ({"account": ""}, "account must be 1 to 64 characters"),
        ({"data_close_ms": 2_000}, "data_close_ms 2000 is after decision_ms 1000"),
    ],
)
def test_a_bad_intent_is_refused_naming_the_field(changes: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "account": "paper",
        "symbol": "BTC/USDT",
        "side": "buy",
        "qty_base": 0.1,
        "price_quote": 50_000.0,
        "decision_ms": 1_000,
        "data_close_ms": 900,
        "source": "manual:alice",
    }
    with pytest.raises(RiskError, match="order intent") as caught:
        OrderIntent(**{**fields, **changes})  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_an_intent_normalises_its_side_and_has_a_key() -> None:
    intent = OrderIntent("paper", "BTC/USDT", "sell", 0.1, 50_000.0, 1_000, 900, "model:huracan-BTC-USDT-1h/3")  # type: ignore[arg-type]
    assert intent.side is Side.SELL and not intent.adds_exposure and intent.notional_quote == 5_000.0
    assert intent.key == "paper|BTC/USDT|sell|1000|model:huracan-BTC-USDT-1h/3"


def test_a_snapshot_refuses_short_positions_and_bad_marks() -> None:
    with pytest.raises(RiskError, match=r"BTC/USDT qty_base must be finite and >= 0 \(spot, long only\), got -1\.0"):
        AccountSnapshot("paper", 0, 1_000.0, {"BTC/USDT": PositionMark(-1.0, 50_000.0, 0)})
    with pytest.raises(RiskError, match="mark_price_quote must be finite and > 0, got 0"):
        AccountSnapshot("paper", 0, 1_000.0, {"BTC/USDT": (1.0, 0, 0)})  # type: ignore[dict-item]
    with pytest.raises(RiskError, match="cash_quote must be finite"):
        AccountSnapshot("paper", 0, math.inf)


def test_heat_without_equity_is_infinite() -> None:
    assert AccountSnapshot("paper", 0, 1_000.0).heat_frac == 0.0
    assert AccountSnapshot("paper", 0, -2_000.0, {"BTC/USDT": (0.02, 50_000.0, 0)}).heat_frac == math.inf  # type: ignore[dict-item]

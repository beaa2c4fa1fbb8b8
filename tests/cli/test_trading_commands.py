"""The trading commands on a fresh home against the emulator: order, positions, orders, risk status."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from huracan.cli.main import app
from huracan.clock import parse_instant_ms
from huracan.market.emulator import Emulator
from huracan.market.emulator_keys import DEFAULT_API_KEY, DEFAULT_API_SECRET

CLOCK = parse_instant_ms("2022-06-01T06:30:00Z")
runner = CliRunner()


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


@pytest.fixture
def emulator(cli_env: Callable[..., Emulator]) -> Emulator:
    return cli_env(CLOCK)


def test_paper_orders_are_risk_checked_filled_and_shown(emulator: Emulator) -> None:
    bought = run("order", "-s", "BTC/USDT", "--side", "buy", "--quote", "1000", "--json")
    assert bought.exit_code == 0, bought.output
    document = json.loads(bought.stdout)
    assert document["decision"]["verdict"] == "approved"
    assert document["order"]["status"] == "filled" and document["order"]["account"] == "paper"
    fill = document["fill"]
    assert fill["qty_base"] * document["decision"]["price_quote"] == pytest.approx(1_000.0, rel=1e-9)
    assert fill["price_quote"] > document["decision"]["price_quote"]  # a taker buy pays spread and slippage
    # the decision saw the candle that closed at 06:00, the last one before the emulator's clock
    assert document["decision"]["data_close_ms"] == parse_instant_ms("2022-06-01T06:00:00Z")

    (position,) = json.loads(run("positions", "--json").stdout)
    assert position["symbol"] == "BTC/USDT" and position["qty_base"] == pytest.approx(fill["qty_base"])
    assert position["notional_quote"] == pytest.approx(fill["qty_base"] * position["mark_quote"])
    paid = fill["qty_base"] * fill["price_quote"] + fill["fee_quote"]  # the cost basis, fees included
    assert position["avg_entry_quote"] == pytest.approx(paid / fill["qty_base"])
    assert position["unrealised_pnl_quote"] == pytest.approx(position["notional_quote"] - paid)
    readable = run("positions")
    assert readable.exit_code == 0 and "BTC/USDT" in readable.output and "avg entry" in readable.output

    resized = run("order", "-s", "BTC/USDT", "--side", "buy", "--quote", "6000", "--json")
    assert resized.exit_code == 0, resized.output
    decision = json.loads(resized.stdout)["decision"]
    assert decision["verdict"] == "resized" and "position_limit" in json.dumps(decision["reasons"])

    sold = run("order", "-s", "BTC/USDT", "--side", "sell", "--quote", "100000")
    assert sold.exit_code == 0, sold.output
    assert "sell" in sold.output
    (flat,) = json.loads(run("positions", "--json").stdout)
    assert flat["qty_base"] == 0.0 and flat["realised_pnl_quote"] < 0  # round trip costs

    listed = json.loads(run("orders", "--json").stdout)
    assert [o["status"] for o in listed] == ["filled", "filled", "filled"]
    assert {o["side"] for o in listed} == {"buy", "sell"}
    assert "filled" in run("orders", "-s", "BTC/USDT").output

    status = run("risk", "status", "--json")
    assert status.exit_code == 0, status.output
    report = json.loads(status.stdout)
    assert report["state"] == "active"


def test_bad_orders_are_refused_and_live_mode_trades_on_the_exchange_only_when_switched_on(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("order", "-s", "BTC/USDT", "--side", "hold", "--quote", "10").exit_code == 2
    assert run("order", "-s", "BTC/USDT", "--side", "buy", "--quote", "-5").exit_code == 2
    live = run("order", "-s", "BTC/USDT", "--side", "buy", "--quote", "10", "--mode", "live")
    assert live.exit_code == 2 and "HURACAN_LIVE_TRADING=true" in live.output
    monkeypatch.setenv("HURACAN_LIVE_TRADING", "true")
    monkeypatch.setenv("HURACAN_EXCHANGE_API_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("HURACAN_EXCHANGE_SECRET", DEFAULT_API_SECRET)
    from huracan.config import get_settings

    get_settings.cache_clear()
    keyed = run("order", "-s", "BTC/USDT", "--side", "buy", "--quote", "100", "--mode", "live", "--json")
    assert keyed.exit_code == 0, keyed.output
    assert DEFAULT_API_KEY not in keyed.output and DEFAULT_API_SECRET not in keyed.output
    document = json.loads(keyed.stdout)
    assert document["order"]["account"] == "live" and document["order"]["status"] == "filled"
    assert document["order"]["exchange_order_id"]
    (on_exchange,) = emulator.trading.engine.orders(DEFAULT_API_KEY, "BTC/USDT")
    assert on_exchange.client_order_id == document["order"]["client_order_id"]
    (position,) = json.loads(run("positions", "--account", "live", "--json").stdout)
    assert position["qty_base"] == pytest.approx(document["fill"]["qty_base"] * (1 - 0.001))  # fee paid in BTC

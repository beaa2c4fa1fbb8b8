"""``huracan emulator``: its trading options, checked as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import ccxt
import pytest
from typer.testing import CliRunner

from huracan.cli.main import app
from huracan.config import Settings
from huracan.market.emulator_keys import DEFAULT_API_KEY, DEFAULT_API_SECRET
from huracan.market.exchange import build_exchange

runner = CliRunner()


def test_help_prints_the_test_key_pair() -> None:
    result = runner.invoke(app, ["emulator", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert DEFAULT_API_KEY in result.output and DEFAULT_API_SECRET in result.output
    assert "lookup_denied" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--order-fault", "explode"], "--order-fault"),
        (["--order-fault", "slow:0"], "--order-fault"),
        (["--balance", "USDT"], "--balance"),
        (["--maker-fee", "0.5"], "--maker-fee"),
        (["--api-key", "short"], "--api-key"),
        (["--order-timeframe", "7m"], "--timeframe"),
    ],
)
def test_bad_trading_options_exit_2_naming_the_option(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["emulator", *args], env={"COLUMNS": "200"})
    assert result.exit_code == 2 and message in result.output


def test_served_emulator_trades_with_the_given_options(tmp_path: Path) -> None:
    secret = "s3cret"
    command = [sys.executable, "-m", "huracan", "emulator", "--port", "0", "--clock", "2022-03-01"]
    command += ["--api-secret", secret, "--balance", "USDT=2500", "--order-timeframe", "1h"]
    command += ["--order-fault", "lookup_denied:2"]
    env = {**os.environ, "COLUMNS": "200"}
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env) as server:
        try:
            assert server.stdout is not None
            url = server.stdout.readline().split()[-1]
            assert url.startswith("http://127.0.0.1:")
            exchange = build_exchange(Settings(exchange_url=url, home=tmp_path, exchange_timeout_ms=5000))
            exchange.apiKey, exchange.secret = DEFAULT_API_KEY, secret
            assert exchange.fetch_balance()["total"]["USDT"] == 2500
            order = exchange.create_order("BTC/USDT", "market", "buy", 0.001)
            for _ in range(2):
                with pytest.raises(ccxt.OrderNotFound):
                    exchange.fetch_order(order["id"], "BTC/USDT")
            assert exchange.fetch_order(order["id"], "BTC/USDT")["status"] == "closed"
        finally:
            server.terminate()

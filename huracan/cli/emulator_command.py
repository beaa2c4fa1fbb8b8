"""``huracan emulator``: serve the Binance-compatible loopback emulator."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from huracan.cli.common import console, instant_option, timeframe_option
from huracan.market.emulator_keys import DEFAULT_API_KEY, DEFAULT_API_SECRET

if TYPE_CHECKING:
    from huracan.market.emulator.order_faults import OrderFault
    from huracan.market.emulator.orders import TradingConfig


def _csv_spec(spec: str) -> tuple[tuple[str, str], Path]:
    """``SYMBOL=TIMEFRAME:PATH`` -> ((symbol, timeframe), path); bad text exits 2 naming it."""
    try:
        symbol, rest = spec.split("=", 1)
        timeframe, path = rest.split(":", 1)
    except ValueError:
        raise typer.BadParameter(f"{spec!r} is not SYMBOL=TIMEFRAME:PATH", param_hint="--csv") from None
    timeframe_option(timeframe)
    if not Path(path).is_file():
        raise typer.BadParameter(f"{path!r} is not a file", param_hint="--csv")
    return (symbol, timeframe), Path(path)


# --- trading options (accounts, fees, prices, order faults) -----------------------------------------------
ORDER_FAULT_KINDS = ("accepted_then_lost", "server_error", "rate_limit", "slow", "lookup_denied")
_TRADING_OPTIONS = {
    "maker_fee_frac": "--maker-fee",
    "taker_fee_frac": "--taker-fee",
    "spread_frac": "--spread",
    "balance": "--balance",
}


def _balance_spec(spec: str) -> tuple[str, float]:
    """``ASSET=AMOUNT`` -> (asset, amount); bad text exits 2 naming it."""
    asset, sep, amount = spec.partition("=")
    try:
        value = float(amount)
    except ValueError:
        value = -1.0
    if not sep or not asset or not value >= 0:
        raise typer.BadParameter(f"{spec!r} is not ASSET=AMOUNT with an amount >= 0", param_hint="--balance")
    return asset, value


def _order_fault_spec(spec: str, delay_s: float) -> OrderFault:
    """``KIND[:TIMES]`` -> an order fault on order creation (lookup_denied: on lookups); bad text exits 2."""
    from huracan.market.emulator.order_faults import OrderFault, OrderFaultKind

    kind, _, times = spec.partition(":")
    if kind not in ORDER_FAULT_KINDS or (times and not times.isdigit()) or times == "0":
        raise typer.BadParameter(
            f"{spec!r} is not KIND[:TIMES] with KIND one of {', '.join(ORDER_FAULT_KINDS)} and TIMES >= 1",
            param_hint="--order-fault",
        )
    return OrderFault(OrderFaultKind(kind), times=int(times or 1), delay_s=delay_s)


def trading_setup(
    api_key: str,
    api_secret: str,
    balances: list[str],
    maker_fee: float,
    taker_fee: float,
    spread: float,
    order_timeframe: str,
    order_faults: list[str],
    order_fault_delay: float,
) -> tuple[TradingConfig, list[OrderFault]]:
    """The emulator's trading config and order faults from the command-line values; bad ones exit 2."""
    from huracan.market.emulator.orders import TradingConfig

    timeframe_option(order_timeframe)
    if order_fault_delay < 0:
        raise typer.BadParameter(f"{order_fault_delay} is negative", param_hint="--order-fault-delay")
    faults = [_order_fault_spec(spec, order_fault_delay) for spec in order_faults]
    try:
        config = TradingConfig(
            api_keys={api_key: api_secret},
            balances=dict(_balance_spec(spec) for spec in balances) or None,
            maker_fee_frac=maker_fee,
            taker_fee_frac=taker_fee,
            spread_frac=spread,
            timeframe=order_timeframe,
        )
    except ValueError as exc:
        hint = next((o for f, o in _TRADING_OPTIONS.items() if str(exc).startswith(f)), "--api-key")
        raise typer.BadParameter(str(exc), param_hint=hint) from exc
    return config, faults


# --- end of trading options ------------------------------------------------------------------------------


def emulator(
    port: int = typer.Option(8765, help="Loopback port to listen on (0 = any free port)."),
    seed: int = typer.Option(0, help="Seed of the simulated market (same seed: same candles)."),
    symbols: list[str] = typer.Option(["BTC/USDT", "ETH/USDT"], "--symbol", help="Simulated symbols; repeat."),
    csv: list[str] = typer.Option([], help="Serve a CSV file: SYMBOL=TIMEFRAME:PATH; repeat."),
    clock: str | None = typer.Option(None, help="Freeze the emulator's clock at this UTC time (default: real time)."),
    market: str = typer.Option("default", help="Simulated market: default, trending or planted (see MARKET_PRESETS)."),
    faults: list[str] = typer.Option(
        [],
        "--fault",
        help="Inject a fault: KIND[,name=value...], e.g. binance_error,code=-1000,times=3 or "
        "bad_candle,corruption=high_below_low; repeat. Kinds and options: huracan/market/emulator/faults.py.",
    ),
    # --- trading options ---
    api_key: str = typer.Option(DEFAULT_API_KEY, help="API key of the test account (64 letters or digits)."),
    api_secret: str = typer.Option(DEFAULT_API_SECRET, help="Secret of --api-key (HMAC-SHA256 signing)."),
    balance: list[str] = typer.Option(
        [], help="Starting balance ASSET=AMOUNT; repeat (default: 100000 of each quote asset, nothing else)."
    ),
    maker_fee: float = typer.Option(0.001, help="Maker fee, fraction of the notional (0.001 = 0.1 %)."),
    taker_fee: float = typer.Option(0.001, help="Taker fee, fraction of the notional."),
    spread: float = typer.Option(0.0001, help="Full bid-ask spread around the reference price, fraction."),
    order_timeframe: str = typer.Option("1d", help="Trading timeframe: its candles set prices and fill orders."),
    order_fault: list[str] = typer.Option(
        [], help=f"Order fault KIND[:TIMES] (default 1 time); repeat. Kinds: {', '.join(ORDER_FAULT_KINDS)}."
    ),
    order_fault_delay: float = typer.Option(5.0, help="Seconds a slow or accepted_then_lost order fault waits."),
    # --- end of trading options ---
) -> None:
    """Serve the Binance-compatible emulator on 127.0.0.1 until interrupted."""
    from huracan.market.emulator import MARKET_PRESETS, Emulator, Fault

    if market not in MARKET_PRESETS:
        raise typer.BadParameter(f"{market!r} is not one of {', '.join(MARKET_PRESETS)}", param_hint="--market")
    try:
        injected = [Fault.parse(spec) for spec in faults]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--fault") from None
    files = dict(_csv_spec(spec) for spec in csv)
    trading, order_faults = trading_setup(
        api_key, api_secret, balance, maker_fee, taker_fee, spread, order_timeframe, order_fault, order_fault_delay
    )
    server = Emulator(
        seed=seed,
        symbols=tuple(symbols),
        csv=files,
        clock_ms=instant_option(clock, "--clock"),
        sim_params=MARKET_PRESETS[market],
        trading=trading,
    )
    for fault in injected:
        server.inject(fault)
    for planned in order_faults:
        server.trading.inject(planned)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` stops it like Ctrl-C does
    server.start(port)
    console.print(f"Binance emulator listening on {server.url}", highlight=False)
    console.print(f"use it with: HURACAN_EXCHANGE_URL={server.url}", highlight=False)
    console.print(f"test API key {api_key}, secret {api_secret}", highlight=False)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        console.print("emulator stopped")
    finally:
        server.stop()


def register(app: typer.Typer) -> None:
    app.command()(emulator)

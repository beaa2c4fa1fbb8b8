"""``huracan emulator``: serve the Binance-compatible loopback emulator."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import typer

from huracan.cli.common import console, instant_option, timeframe_option


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


def emulator(
    port: int = typer.Option(8765, help="Loopback port to listen on (0 = any free port)."),
    seed: int = typer.Option(0, help="Seed of the simulated market (same seed: same candles)."),
    symbols: list[str] = typer.Option(["BTC/USDT", "ETH/USDT"], "--symbol", help="Simulated symbols; repeat."),
    csv: list[str] = typer.Option([], help="Serve a CSV file: SYMBOL=TIMEFRAME:PATH; repeat."),
    clock: str | None = typer.Option(None, help="Freeze the emulator's clock at this UTC time (default: real time)."),
    market: str = typer.Option("default", help="Simulated market: default or trending (see MARKET_PRESETS)."),
    faults: list[str] = typer.Option(
        [],
        "--fault",
        help="Inject a fault: KIND[,name=value...], e.g. binance_error,code=-1000,times=3 or "
        "bad_candle,corruption=high_below_low; repeat. Kinds and options: huracan/market/emulator/faults.py.",
    ),
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
    server = Emulator(
        seed=seed,
        symbols=tuple(symbols),
        csv=files,
        clock_ms=instant_option(clock, "--clock"),
        sim_params=MARKET_PRESETS[market],
    )
    for fault in injected:
        server.inject(fault)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` stops it like Ctrl-C does
    server.start(port)
    console.print(f"Binance emulator listening on {server.url}", highlight=False)
    console.print(f"use it with: HURACAN_EXCHANGE_URL={server.url}", highlight=False)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        console.print("emulator stopped")
    finally:
        server.stop()


def register(app: typer.Typer) -> None:
    app.command()(emulator)

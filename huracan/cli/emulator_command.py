"""``huracan emulator``: serve the Binance-compatible loopback emulator."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import typer

from huracan.cli.common import console, instant_option, timeframe_option

MARKETS = ("default", "trending")
"""Simulated-market presets of ``--market`` (see :func:`market_params`)."""


def market_params(name: str):  # type: ignore[no-untyped-def]
    """The :class:`~huracan.market.emulator.SimulationParams` of a ``--market`` preset.

    - ``default``: the simulated market's defaults (bull +0.4 %/day over ~45 days, bear -0.5 %/day over
      ~30 days, 2-4 % daily volatility).
    - ``trending``: stronger, longer trends and calmer days (bull +0.8 %/day over ~90 days, bear
      -0.8 %/day over ~60 days, 1.5-2.5 % daily volatility): a regularity a few minutes of PPO training
      on daily candles can learn. ``make run`` uses it; the promotion gate still judges the model out
      of sample against buy & hold.
    """
    from huracan.market.emulator import SimulationParams

    if name == "default":
        return SimulationParams()
    if name == "trending":
        return SimulationParams(
            drift_per_day=(0.008, -0.008, 0.0),
            vol_per_sqrt_day=(0.02, 0.025, 0.015),
            mean_duration_days=(90.0, 60.0, 30.0),
        )
    raise typer.BadParameter(f"{name!r} is not one of {', '.join(MARKETS)}", param_hint="--market")


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
    market: str = typer.Option("default", help=f"Simulated market preset: {', '.join(MARKETS)} (see `market_params`)."),
) -> None:
    """Serve the Binance-compatible emulator on 127.0.0.1 until interrupted."""
    from huracan.market.emulator import Emulator

    files = dict(_csv_spec(spec) for spec in csv)
    params = market_params(market)
    server = Emulator(
        seed=seed, symbols=tuple(symbols), csv=files, clock_ms=instant_option(clock, "--clock"), sim_params=params
    )
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

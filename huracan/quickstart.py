"""What ``make run`` runs: the main job offline, on embedded defaults.

It starts the loopback Binance emulator (simulated market) on a free port, points the ccxt client at
it, downloads BTC/USDT 1d and 1h candles into the embedded SQLite store under ``HURACAN_HOME`` and
prints the summaries. A second run shows the incremental sync: only new candles, one request per series.
"""

from __future__ import annotations

import logging
import sys

from huracan.cli.common import console
from huracan.clock import format_ms, parse_instant_ms
from huracan.config import get_settings
from huracan.data.sync import download
from huracan.market.emulator import Emulator
from huracan.timeframes import Timeframe

SYMBOL = "BTC/USDT"
SINCE = "2022-01-01"
SEED = 42


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    base = get_settings()
    with Emulator(seed=SEED, symbols=(SYMBOL, "ETH/USDT")).start(port=0) as emulator:
        settings = base.model_copy(update={"exchange_url": emulator.url, "exchange": "binance"})
        console.print(f"emulator (simulated market, seed {SEED}) at {emulator.url}")
        console.print(f"store: {settings.store_url}")
        failed = False
        for name in ("1d", "1h"):
            (summary,) = download(settings, [SYMBOL], Timeframe.parse(name), since_ms=parse_instant_ms(SINCE))
            if summary.error:
                console.print(f"[red]{summary.key}: {summary.error}[/red]")
                failed = True
                continue
            bounds = summary.bounds
            holes = f"{len(summary.holes)} holes left" if summary.holes else "no holes"
            console.print(
                f"{summary.key}: fetched {summary.fetched:,} candles in {summary.requests} requests; "
                f"stored {bounds.count if bounds else 0:,} candles "
                f"{format_ms(bounds.first_ms if bounds else None)} -> {format_ms(bounds.last_ms if bounds else None)}; "
                f"{holes}"
            )
    console.print("next: run `make run` again (only new candles are fetched) or `.venv/bin/huracan --help`")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Download benchmark: 3 years of 1h candles from the emulator into SQLite and PostgreSQL.

Prints, per store: candles, wall time, requests made against the minimum possible (one per 1000
candles plus the market load), and Huracan's own per-candle cost (ccxt's request handling, the
conversion of the raw rows, every candle check, the store writes that do not overlap the exchange's
time: wall time minus the time spent waiting on the exchange). Pages are committed one by one on a
writer thread while the next page is requested, so the time spent writing is printed too. The
download runs ``ROUNDS`` times into an empty store and the best round counts (the machine is shared;
every round is printed). The store's upsert alone is compared with the obvious SQLAlchemy Core upsert
(``connection.execute(insert...on_conflict_do_update, list_of_dicts)``) on the same candles in the
same run. Targets: requests == minimum; own cost >= 100,000 candles/s.

The emulator runs in its own process (``python -m huracan emulator``), so its work is not ours.
PostgreSQL: ``HURACAN_BENCH_PG_URL`` (default the local server, database ``huracan_bench``).
Usage: ``make bench-download`` or ``.venv/bin/python bench/download.py``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from huracan.clock import parse_instant_ms
from huracan.config import Settings
from huracan.data.candle_store import CandleStore, SeriesKey
from huracan.data.db import dispose_engines
from huracan.data.schema import candles
from huracan.data.sync import download, minimum_requests
from huracan.series import CANDLE_COLUMNS as COLUMNS
from huracan.timeframes import Timeframe

SINCE = "2020-01-01"
CLOCK = "2023-01-01T00:30:00Z"  # 3 years of closed 1h candles (26,304), the next one forming
PG_URL = os.environ.get("HURACAN_BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/huracan_bench")
ROUNDS = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_emulator() -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "huracan", "emulator", "--port", str(port), "--clock", CLOCK, "--symbol", "BTC/USDT"],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{url}/api/v3/ping", timeout=1).read()
            return process, url
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the emulator did not start")


def fresh_postgres() -> str:
    url = make_url(PG_URL)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}"'))
        connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    return PG_URL


def upsert_rates(store_url: str, key: SeriesKey) -> tuple[float, float]:
    """Candles/s re-writing the stored series in pages of 1000: (CandleStore.upsert, the plain SQLAlchemy
    Core upsert ``connection.execute(insert...on_conflict_do_update, list_of_dicts)``), each on an empty
    table."""
    store = CandleStore.open(store_url)
    frame = store.read(key)
    ts_ms = frame.index.as_unit("ms").asi8
    rows = np.column_stack([ts_ms, frame.to_numpy()])
    dicts = [
        {
            "exchange": key.exchange,
            "symbol": key.symbol,
            "timeframe": key.timeframe,
            "ts_ms": ts,
            **dict(zip(COLUMNS, values, strict=True)),
        }
        for ts, values in zip(ts_ms.tolist(), frame.to_numpy().tolist(), strict=True)
    ]
    dialect = postgresql if store.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(candles)
    statement = statement.on_conflict_do_update(
        index_elements=["exchange", "symbol", "timeframe", "ts_ms"],
        set_={name: statement.excluded[name] for name in COLUMNS},
    )

    def timed(write: Callable[[int], object]) -> float:
        with store.engine.begin() as connection:
            connection.execute(candles.delete())
        started = time.perf_counter()
        for start in range(0, len(rows), 1000):
            write(start)
        return len(rows) / (time.perf_counter() - started)

    def reference(start: int) -> None:
        with store.engine.begin() as connection:
            connection.execute(statement, dicts[start : start + 1000])

    ours = timed(lambda start: store.upsert(key, rows[start : start + 1000]))
    return ours, timed(reference)


def run(label: str, store_url: str, exchange_url: str, home: Path) -> None:
    settings = Settings(home=home, db_url=store_url, exchange_url=exchange_url)
    store = CandleStore.open(store_url)  # migrate before timing
    rounds = []
    for _ in range(ROUNDS):
        with store.engine.begin() as connection:
            connection.execute(candles.delete())
        (summary,) = download(settings, ["BTC/USDT"], Timeframe.parse("1h"), since_ms=parse_instant_ms(SINCE))
        if summary.error:
            raise SystemExit(f"{label}: {summary.error}")
        rounds.append(summary)
    summary = min(rounds, key=lambda s: s.own_s)
    requests = summary.requests + 1  # + the market load (exchange info), which also gave the server time
    minimum = minimum_requests(summary.fetched) + 1
    own_rate = summary.fetched / summary.own_s
    ours, reference = upsert_rates(store_url, summary.key)
    print(
        f"{label:<10} candles {summary.fetched:>6,}  wall {summary.seconds:6.2f} s  "
        f"(exchange {summary.wait_s:5.2f} s, own {summary.own_s:5.3f} s, store writes {summary.store_s:5.3f} s "
        f"overlapping the exchange's time)  requests {requests} (minimum {minimum}) "
        f"{'OK' if requests == minimum else 'ABOVE MINIMUM'}"
    )
    print(
        f"{'':<10} own cost (ccxt request + row conversion + checks + unoverlapped writes) {own_rate:>9,.0f} "
        f"candles/s  (target >= 100,000: {'OK' if own_rate >= 100_000 else 'MISSED'}); rounds: "
        + ", ".join(f"{s.fetched / s.own_s:,.0f}" for s in rounds)
    )
    print(
        f"{'':<10} upsert alone, pages of 1000: CandleStore {ours:>9,.0f} candles/s, "
        f"plain SQLAlchemy Core executemany {reference:>9,.0f} candles/s, ratio {ours / reference:4.1f}x"
    )
    dispose_engines()


def main() -> None:
    process, url = start_emulator()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", url, Path(tmp))
            run("postgresql", fresh_postgres(), url, Path(tmp))
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()

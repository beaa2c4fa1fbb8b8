"""The loopback Binance emulator, exercised through the real ccxt client from ``build_exchange``."""

from __future__ import annotations

import copy
import csv
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import ccxt
import numpy as np
import pytest

from huracan.config import Settings
from huracan.errors import CsvFormatError, UnknownSymbolError
from huracan.market.emulator import ApiError, Emulator, Fault, FaultKind, Request, Response
from huracan.market.emulator.series import CsvSeries, partial_candle
from huracan.market.exchange import build_exchange
from huracan.timeframes import Timeframe

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
KLINES = "/api/v3/klines"
T0 = 1_640_995_200_000  # 2022-01-01T00:00Z
CLOCK = T0 + 2000 * HOUR_MS + 30 * 60_000  # half-way through a 1h candle
FORMING_OPEN = T0 + 2000 * HOUR_MS
REAL_BTC_1D = Path(__file__).resolve().parents[3] / "shared" / "data" / "binance_BTC-USDT_1d.csv"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(seed=1, symbols=("BTC/USDT", "ETH/USDT"), clock_ms=CLOCK) as emulator:
        yield emulator


def make_exchange(emulator: Emulator, tmp_path: Path) -> ccxt.Exchange:
    return build_exchange(Settings(exchange_url=emulator.url, home=tmp_path, exchange_timeout_ms=2000))


@pytest.fixture
def exchange(emu: Emulator, tmp_path: Path) -> ccxt.Exchange:
    return make_exchange(emu, tmp_path)


def klines(exchange: ccxt.Exchange, **params: object) -> list[list]:
    """Raw Binance rows (strings and all) through ccxt's implicit endpoint."""
    return exchange.publicGetKlines({"symbol": "BTCUSDT", "interval": "1h", **params})


def opens(rows: list[list]) -> list[int]:
    return [int(row[0]) for row in rows]


# --- exchangeInfo, ping, time ----------------------------------------------------------------------


def test_load_markets_needs_only_exchange_info(emu: Emulator, exchange: ccxt.Exchange) -> None:
    markets = exchange.load_markets()
    assert set(markets) == {"BTC/USDT", "ETH/USDT"}
    btc = markets["BTC/USDT"]
    assert (btc["id"], btc["base"], btc["quote"], btc["spot"], btc["active"]) == ("BTCUSDT", "BTC", "USDT", True, True)
    assert btc["precision"]["price"] == 0.01 and btc["precision"]["amount"] == 0.00001
    assert btc["limits"]["cost"]["min"] == 5.0
    assert [(r.method, r.path) for r in emu.requests()] == [("GET", "/api/v3/exchangeInfo")]


def test_ping_and_time_follow_the_clock(emu: Emulator, exchange: ccxt.Exchange) -> None:
    assert exchange.publicGetPing() == {}
    assert exchange.fetch_time() == CLOCK
    emu.set_clock(None)
    assert abs(exchange.fetch_time() - time.time() * 1000) < 5000
    emu.set_clock(CLOCK)
    emu.advance_clock(HOUR_MS)
    assert emu.clock_ms == CLOCK + HOUR_MS


# --- klines semantics ------------------------------------------------------------------------------


def test_fetch_ohlcv_since_until(emu: Emulator, exchange: ccxt.Exchange) -> None:
    since = T0 + 10 * HOUR_MS
    rows = exchange.fetch_ohlcv("BTC/USDT", "1h", since=since, limit=1000, params={"until": since + 99 * HOUR_MS})
    assert opens(rows) == [since + i * HOUR_MS for i in range(100)]
    block = emu.market.series("BTC/USDT", Timeframe.parse("1h")).page(since, None, 100, CLOCK)
    assert [row[4] for row in rows] == pytest.approx(block.close.tolist(), rel=1e-12)
    assert emu.request_count(KLINES) == 1
    assert emu.requests(KLINES)[0].params == {
        "symbol": "BTCUSDT",
        "interval": "1h",
        "limit": "1000",
        "startTime": str(since),
        "endTime": str(since + 99 * HOUR_MS),
    }


def test_row_format(exchange: ccxt.Exchange) -> None:
    (row,) = klines(exchange, startTime=T0, limit=1)
    assert len(row) == 12 and row[0] == T0 and row[6] == T0 + HOUR_MS - 1 and row[11] == "0"
    assert all(isinstance(row[i], str) and len(row[i].split(".")[1]) == 8 for i in (1, 2, 3, 4, 5, 7, 9, 10))
    assert isinstance(row[8], int)
    o, h, lo, c = (float(row[i]) for i in (1, 2, 3, 4))
    assert 0 < lo <= min(o, c) and h >= max(o, c)


def test_paging_semantics(exchange: ccxt.Exchange) -> None:
    assert opens(klines(exchange, startTime=T0, limit=3)) == [T0, T0 + HOUR_MS, T0 + 2 * HOUR_MS]
    assert opens(klines(exchange, startTime=T0 + 1, limit=2)) == [T0 + HOUR_MS, T0 + 2 * HOUR_MS]  # open >= start
    assert opens(klines(exchange, endTime=T0 + 10 * HOUR_MS + 1, limit=2)) == [T0 + 9 * HOUR_MS, T0 + 10 * HOUR_MS]
    assert opens(klines(exchange, startTime=T0, endTime=T0 + 4 * HOUR_MS, limit=1000)) == [
        T0 + i * HOUR_MS for i in range(5)
    ]
    assert opens(klines(exchange, limit=2)) == [FORMING_OPEN - HOUR_MS, FORMING_OPEN]  # neither: the last ones
    assert len(klines(exchange, startTime=T0)) == 500  # default limit
    assert len(klines(exchange, startTime=T0, limit=1000)) == 1000
    assert klines(exchange, startTime=CLOCK + HOUR_MS) == []
    assert klines(exchange, startTime=T0 + 1, endTime=T0) == []  # spot: no error (futures answer -1023)
    sim_start = 1_546_300_800_000
    assert opens(klines(exchange, endTime=sim_start - 1)) == []
    assert opens(klines(exchange, startTime=0, limit=1)) == [sim_start]


@pytest.mark.parametrize(
    ("params", "code"),
    [({"limit": 1001}, "-1130"), ({"limit": 0}, "-1130"), ({"limit": "ten"}, "-1100")],
)
def test_bad_klines_params(exchange: ccxt.Exchange, params: dict, code: str) -> None:
    with pytest.raises(ccxt.BadRequest, match=code):
        klines(exchange, **params)


def test_unknown_symbol_interval_and_missing_params(exchange: ccxt.Exchange) -> None:
    with pytest.raises(ccxt.BadSymbol, match="-1121"):  # from the Binance error body
        exchange.publicGetKlines({"symbol": "DOGEUSDT", "interval": "1h"})
    with pytest.raises(ccxt.BadSymbol):  # ccxt itself refuses a symbol exchangeInfo did not list
        exchange.fetch_ohlcv("DOGE/USDT", "1h")
    with pytest.raises(ccxt.BadRequest, match="-1120"):
        exchange.publicGetKlines({"symbol": "BTCUSDT", "interval": "1w"})  # not supported by the emulator
    with pytest.raises(ccxt.BadRequest, match=r"-1102.*interval"):
        exchange.publicGetKlines({"symbol": "BTCUSDT"})
    with pytest.raises(ccxt.ExchangeNotAvailable, match="404"):  # plain 404 page, like Binance
        exchange.fetch(exchange.urls["api"]["public"] + "/nothing")


def test_forming_candle_is_served_last_and_the_future_never(emu: Emulator, exchange: ccxt.Exchange) -> None:
    rows = klines(exchange, startTime=FORMING_OPEN - 2 * HOUR_MS, endTime=CLOCK + 10 * HOUR_MS)
    assert opens(rows) == [FORMING_OPEN - 2 * HOUR_MS, FORMING_OPEN - HOUR_MS, FORMING_OPEN]
    forming = rows[-1]
    assert forming[1] == rows[-2][4]  # opens at the previous close
    assert klines(exchange, startTime=FORMING_OPEN)[0] == forming  # deterministic for the clock
    emu.set_clock(FORMING_OPEN)  # at its open: nothing has happened yet
    (start,) = klines(exchange, startTime=FORMING_OPEN)
    assert start[1] == start[2] == start[3] == start[4] and float(start[5]) == 0.0
    emu.set_clock(FORMING_OPEN + HOUR_MS)  # closed: final values, never below the partial ones
    (final,) = klines(exchange, startTime=FORMING_OPEN, limit=1)
    assert float(final[5]) > float(forming[5]) and float(final[2]) >= float(forming[2])
    assert float(final[3]) <= float(forming[3])
    assert opens(klines(exchange, limit=1)) == [FORMING_OPEN + HOUR_MS]  # the next one is forming now


def test_advancing_the_clock_never_changes_closed_candles(emu: Emulator, exchange: ccxt.Exchange) -> None:
    before = klines(exchange, startTime=FORMING_OPEN - 900 * HOUR_MS, limit=1000)[:-1]
    emu.advance_clock(500 * HOUR_MS)
    after = klines(exchange, startTime=FORMING_OPEN - 900 * HOUR_MS, limit=1000)
    assert after[: len(before)] == before and len(after) == 1000


@pytest.mark.parametrize("frac", [0.0, 0.1, 0.5, 0.9, 0.999])
@pytest.mark.parametrize("z", [-3.0, 0.0, 3.0])
def test_partial_candle_is_valid(frac: float, z: float) -> None:
    block = Emulator(seed=0).market.series("BTC/USDT", Timeframe.parse("1h")).page(T0, None, 1, T0 + HOUR_MS)
    final = copy.deepcopy(block)
    partial_candle(block, 0, frac, z)
    o, h, lo, c = block.open[0], block.high[0], block.low[0], block.close[0]
    assert o == final.open[0] and final.low[0] <= lo <= min(o, c) and max(o, c) <= h <= final.high[0]
    assert block.volume[0] == pytest.approx(final.volume[0] * frac)


def test_permanent_holes_are_never_served(emu: Emulator, exchange: ccxt.Exchange) -> None:
    missing = [T0 + 1 * HOUR_MS, T0 + 2 * HOUR_MS, T0 + 5 * HOUR_MS]
    emu.add_holes("BTC/USDT", "1h", missing)
    rows = klines(exchange, startTime=T0, limit=5)
    assert opens(rows) == [T0, T0 + 3 * HOUR_MS, T0 + 4 * HOUR_MS, T0 + 6 * HOUR_MS, T0 + 7 * HOUR_MS]
    assert opens(klines(exchange, endTime=T0 + 6 * HOUR_MS, limit=3)) == [
        T0 + 3 * HOUR_MS,
        T0 + 4 * HOUR_MS,
        T0 + 6 * HOUR_MS,
    ]
    assert opens(klines(exchange, interval="4h", startTime=T0, limit=1)) == [T0]  # other series untouched
    with pytest.raises(UnknownSymbolError, match="DOGE/USDT"):
        emu.add_holes("DOGE/USDT", "1h", missing)


# --- faults ----------------------------------------------------------------------------------------

FAULT_EXCEPTIONS = [
    (Fault(FaultKind.RATE_LIMIT), ccxt.DDoSProtection),  # binance raises DDoSProtection for 429 and 418
    (Fault(FaultKind.IP_BAN), ccxt.DDoSProtection),
    (Fault(FaultKind.SERVER_ERROR), ccxt.ExchangeNotAvailable),
    (Fault(FaultKind.UNAVAILABLE), ccxt.ExchangeNotAvailable),
    (Fault(FaultKind.BINANCE_ERROR, code=-1000), ccxt.OperationFailed),  # HTTP 500 {"code": -1000, ...}
    (Fault(FaultKind.BINANCE_ERROR, code=-1001), ccxt.OperationFailed),
    (Fault(FaultKind.BINANCE_ERROR, code=-1006), ccxt.OperationFailed),
    (Fault(FaultKind.BINANCE_ERROR, code=-1007), ccxt.RequestTimeout),
    (Fault(FaultKind.BINANCE_ERROR, status=400, code=-1121, msg="Invalid symbol."), ccxt.BadSymbol),
    (Fault(FaultKind.SLOW, delay_s=1.0), ccxt.RequestTimeout),  # the client's timeout is 0.3 s here
    (Fault(FaultKind.DISCONNECT), ccxt.NetworkError),
]


@pytest.mark.parametrize(
    ("fault", "error"), FAULT_EXCEPTIONS, ids=[f"{f.kind.value}{f.code}" for f, _ in FAULT_EXCEPTIONS]
)
def test_fault_raises_this_ccxt_exception(
    emu: Emulator, exchange: ccxt.Exchange, fault: Fault, error: type[Exception]
) -> None:
    exchange.load_markets()
    exchange.timeout = 300
    emu.inject(fault)
    with pytest.raises(ccxt.BaseError) as raised:
        exchange.fetch_ohlcv("BTC/USDT", "1h", limit=5)
    assert type(raised.value) is error
    assert len(exchange.fetch_ohlcv("BTC/USDT", "1h", limit=5)) == 5  # used up: the next request is fine
    assert [r.fault for r in emu.requests(KLINES)] == [fault.kind, None]


def test_retry_after_is_in_last_response_headers_after_a_429(emu: Emulator, exchange: ccxt.Exchange) -> None:
    exchange.load_markets()
    emu.inject(Fault(FaultKind.RATE_LIMIT, retry_after_s=7))
    with pytest.raises(ccxt.DDoSProtection, match="-1003"):
        exchange.fetch_ohlcv("BTC/USDT", "1h", limit=5)
    assert exchange.last_response_headers["Retry-After"] == "7"  # a case-insensitive dict (requests)
    assert exchange.last_response_headers["retry-after"] == "7"
    assert emu.requests(KLINES)[0].status == 429


def test_malformed_json_is_not_an_error_in_ccxt(emu: Emulator, exchange: ccxt.Exchange) -> None:
    """ccxt hands the undecodable text to the parser: junk rows for klines, no markets for exchangeInfo.

    Only ``exchange.last_http_response`` (the raw, truncated text) shows what happened.
    """
    emu.inject(Fault(FaultKind.MALFORMED_JSON, path="/api/v3/exchangeInfo"))
    assert exchange.load_markets() == {}
    assert exchange.last_http_response.startswith('{"timezone"')
    with pytest.raises(ccxt.BadSymbol):  # the empty market cache sticks until a reload
        exchange.fetch_ohlcv("BTC/USDT", "1h")
    exchange.load_markets(reload=True)
    emu.inject(Fault(FaultKind.MALFORMED_JSON, path=KLINES))
    rows = exchange.fetch_ohlcv("BTC/USDT", "1h", limit=5)
    assert rows and all(row[1] is None for row in rows)
    with pytest.raises(json.JSONDecodeError):
        json.loads(exchange.last_http_response)


def test_missing_klines_fault_drops_rows_from_one_page(emu: Emulator, exchange: ccxt.Exchange) -> None:
    emu.inject(Fault(FaultKind.MISSING_KLINES, drop_open_ms=(T0 + HOUR_MS,)))
    assert opens(klines(exchange, startTime=T0, limit=3)) == [T0, T0 + 2 * HOUR_MS]
    emu.inject(Fault(FaultKind.MISSING_KLINES, drop_middle=2))
    assert opens(klines(exchange, startTime=T0, limit=6)) == [T0, T0 + HOUR_MS, T0 + 4 * HOUR_MS, T0 + 5 * HOUR_MS]
    assert len(klines(exchange, startTime=T0, limit=6)) == 6  # used up


def test_binance_errors_are_json_bodies_with_binance_codes(emu: Emulator, exchange: ccxt.Exchange) -> None:
    emu.inject(Fault(FaultKind.BINANCE_ERROR, code=-1001, path="/api/v3/ping"))
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{emu.url}/api/v3/ping", timeout=5)
    assert caught.value.code == 500 and caught.value.headers["Content-Type"].startswith("application/json")
    assert json.loads(caught.value.read()) == {
        "code": -1001,
        "msg": "Internal error; unable to process your request. Please try again.",
    }


def test_kline_faults_change_one_page(emu: Emulator, exchange: ccxt.Exchange) -> None:
    emu.inject(Fault(FaultKind.EMPTY_KLINES))
    assert klines(exchange, startTime=T0, limit=3) == []
    emu.inject(Fault(FaultKind.PAST_END, keep_rows=1))
    assert opens(klines(exchange, startTime=T0, endTime=T0 + 5 * HOUR_MS)) == [T0, T0 + 6 * HOUR_MS]
    emu.inject(Fault(FaultKind.BAD_CANDLE, corruption="high_below_low", drop_open_ms=(T0 + HOUR_MS,)))
    bad = klines(exchange, startTime=T0, limit=3)[1]
    assert float(bad[2]) < float(bad[3])  # high < low
    emu.inject(Fault(FaultKind.BAD_CANDLE, corruption="duplicate", drop_open_ms=(T0,)))
    first, copy, _ = klines(exchange, startTime=T0, limit=2)
    assert first[0] == copy[0] and first[5] != copy[5]
    emu.inject(Fault(FaultKind.CLOCK_SKEW, skew_ms=-HOUR_MS, path="/api/v3/time"))
    assert exchange.fetch_time() == CLOCK - HOUR_MS
    assert len(klines(exchange, startTime=T0, limit=3)) == 3  # all used up


def test_faults_parse_from_command_line_text() -> None:
    fault = Fault.parse("binance_error,code=-1006,times=3,symbol=BTCUSDT,path=/api/v3/klines")
    assert (fault.kind, fault.code, fault.times, fault.params, fault.path) == (
        FaultKind.BINANCE_ERROR,
        -1006,
        3,
        {"symbol": "BTCUSDT"},
        KLINES,
    )
    assert Fault.parse("bad_candle,corruption=nan,drop_open_ms=1+2").drop_open_ms == (1, 2)
    for spec, problem in [
        ("teapot", "kind must be one of"),
        ("slow,speed=2", "unknown option"),
        ("drip,drip_bytes=0", ">= 1"),
    ]:
        with pytest.raises(ValueError, match=problem):
            Fault.parse(spec)


def test_the_emulator_command_injects_faults(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    spec = "binance_error,code=-1000,path=/api/v3/ping,times=1"
    command = [sys.executable, "-m", "huracan", "emulator", "--port", str(port), "--fault", spec]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None and "listening" in process.stdout.readline()
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v3/ping", timeout=5)
        assert json.loads(caught.value.read())["code"] == -1000
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v3/ping", timeout=5).read() == b"{}"
    finally:
        process.terminate()
        process.wait(timeout=10)
    bad = subprocess.run([*command[:-1], "teapot"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "kind must be one of" in bad.stderr


def test_faults_match_path_and_params(emu: Emulator, exchange: ccxt.Exchange) -> None:
    emu.inject(Fault(FaultKind.SERVER_ERROR, times=2, path=KLINES, params={"symbol": "ETHUSDT"}))
    exchange.load_markets()  # not a klines request: untouched
    exchange.fetch_ohlcv("BTC/USDT", "1h", limit=1)  # another symbol: untouched
    assert emu.pending_faults()[0][1] == 2
    for _ in range(2):
        with pytest.raises(ccxt.ExchangeNotAvailable):
            exchange.fetch_ohlcv("ETH/USDT", "1h", limit=1)
    assert emu.pending_faults() == []
    assert exchange.fetch_ohlcv("ETH/USDT", "1h", limit=1)
    with pytest.raises(ValueError, match="drop_open_ms or drop_middle"):
        Fault(FaultKind.MISSING_KLINES)
    with pytest.raises(ValueError, match="times"):
        Fault(FaultKind.RATE_LIMIT, times=0)


# --- request log, routes, threads -------------------------------------------------------------------


def test_request_log_counts_and_clears(emu: Emulator, exchange: ccxt.Exchange) -> None:
    exchange.load_markets()
    exchange.fetch_ohlcv("BTC/USDT", "1h", limit=2)
    exchange.fetch_ohlcv("BTC/USDT", "4h", limit=2)
    exchange.fetch_ohlcv("ETH/USDT", "1h", limit=2)
    assert emu.request_count() == 4
    assert emu.request_count(path=KLINES, symbol="BTCUSDT", interval="1h") == 1
    assert emu.request_count(KLINES, symbol="BTCUSDT") == 2
    assert emu.request_count(KLINES, limit=2, status=200, method="get") == 3
    assert {r.clock_ms for r in emu.requests()} == {CLOCK}
    emu.clear_requests()
    assert emu.request_count() == 0


def test_concurrent_requests_are_all_served_and_logged(emu: Emulator, tmp_path: Path) -> None:
    def work() -> None:
        client = make_exchange(emu, tmp_path)
        for i in range(10):
            client.publicGetKlines({"symbol": "ETHUSDT", "interval": "5m", "startTime": T0 + i * DAY_MS, "limit": 50})

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert emu.request_count(KLINES, status=200) == 80


def test_custom_routes_follow_the_handler_contract(emu: Emulator) -> None:
    seen: list[Request] = []

    def order(request: Request) -> Response:
        seen.append(request)
        if request.params.get("side") not in ("BUY", "SELL"):
            raise ApiError(400, -1117, "Invalid side.")
        return Response(200, {"orderId": 1, "symbol": request.params["symbol"]}, {"X-Test": "yes"})

    emu.add_route("POST", "/api/v3/order/test", order)
    with pytest.raises(ValueError, match="replace=True"):
        emu.add_route("POST", "/api/v3/order/test", order)
    emu.add_route("GET", "/api/v3/boom", lambda request: 1 / 0)  # type: ignore[arg-type,return-value]
    ok = urllib.request.Request(
        emu.url + "/api/v3/order/test?symbol=BTCUSDT",
        data=b"side=BUY&quantity=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(ok) as response:
        assert json.loads(response.read()) == {"orderId": 1, "symbol": "BTCUSDT"}
        assert response.headers["X-Test"] == "yes"
    assert seen[0].params == {"symbol": "BTCUSDT", "side": "BUY", "quantity": "1"} and seen[0].clock_ms == CLOCK
    for path, data, status, code in [
        ("/api/v3/order/test?symbol=X", b"side=UP", 400, -1117),
        ("/api/v3/boom", None, 500, -1000),
    ]:
        bad = urllib.request.Request(emu.url + path, data=data, method="POST" if data else "GET")
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(bad)
        assert raised.value.code == status and json.loads(raised.value.read())["code"] == code


def test_start_stop_and_context_manager() -> None:
    emulator = Emulator(seed=0).start(port=0)
    url = emulator.url
    assert url.startswith("http://127.0.0.1:") and emulator.port > 0
    with pytest.raises(RuntimeError, match="already running"):
        emulator.start()
    emulator.stop()
    emulator.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/api/v3/ping", timeout=1)
    with Emulator(seed=0) as again, urllib.request.urlopen(again.url + "/api/v3/ping") as response:
        assert json.loads(response.read()) == {}


# --- CSV source ------------------------------------------------------------------------------------


def write_csv(path: Path, rows: list[tuple]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "open", "high", "low", "close", "volume"])
        writer.writerows(rows)
    return path


def test_csv_source_serves_its_rows_and_its_gaps(tmp_path: Path) -> None:
    rows = [(T0 + i * DAY_MS, 100.0 + i, 110.5 + i, 90.25 + i, 101.0 + i, 12.345678 + i) for i in (0, 1, 3, 4)]
    path = write_csv(tmp_path / "c.csv", rows)
    clock = T0 + 4 * DAY_MS + DAY_MS // 2  # the last row is forming
    with Emulator(seed=0, symbols=("ETH/USDT",), csv={("SOL/USDT", "1d"): path}, clock_ms=clock) as emulator:
        exchange = make_exchange(emulator, tmp_path)
        assert set(exchange.load_markets()) == {"ETH/USDT", "SOL/USDT"}
        served = exchange.fetch_ohlcv("SOL/USDT", "1d", since=T0)
        assert served[:3] == [list(row) for row in rows[:3]]  # the file exactly; day 2 missing stays missing
        forming = served[3]
        assert forming[0] == rows[3][0] and forming[1] == rows[3][1] and forming[5] < rows[3][5]
        assert exchange.fetch_ohlcv("SOL/USDT", "1h", since=T0) == []  # no file for 1h
        assert exchange.fetch_ohlcv("ETH/USDT", "1d", limit=3)  # simulated symbols still serve


def test_csv_format_errors_name_the_file(tmp_path: Path) -> None:
    bad_header = tmp_path / "bad.csv"
    bad_header.write_text("time,open,high,low,close,volume\n1,1,1,1,1,1\n")
    with pytest.raises(CsvFormatError, match=r"bad\.csv.*header"):
        CsvSeries(bad_header, Timeframe.parse("1d"))
    off_grid = write_csv(tmp_path / "grid.csv", [(T0, 1, 1, 1, 1, 1), (T0 + HOUR_MS, 1, 1, 1, 1, 1)])
    with pytest.raises(CsvFormatError, match="multiples of 1d"):
        CsvSeries(off_grid, Timeframe.parse("1d"))


def test_real_binance_daily_file_is_served_exactly(tmp_path: Path) -> None:
    if not REAL_BTC_1D.exists():
        pytest.skip(f"real candles not found at {REAL_BTC_1D} (only on the development machine)")
    with REAL_BTC_1D.open() as handle:
        expected = [[int(r[0]), *map(float, r[1:])] for r in list(csv.reader(handle))[1:]]
    with Emulator(seed=0, symbols=(), csv={("BTC/USDT", "1d"): REAL_BTC_1D}) as emulator:  # real-time clock
        exchange = make_exchange(emulator, tmp_path)
        served: list[list] = []
        since = expected[0][0]
        while page := exchange.fetch_ohlcv("BTC/USDT", "1d", since=since, limit=1000):
            served += page
            since = page[-1][0] + DAY_MS
        assert served == expected
        assert emulator.request_count(KLINES) == 5  # 1000 + 1000 + 1000 + 110 + an empty page
    assert np.all(np.diff([row[0] for row in served]) > 0)

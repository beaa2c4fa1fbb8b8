"""The emulator's trading endpoints, through the real ccxt client from ``build_exchange``."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

import ccxt
import pytest

from huracan.market.emulator import Emulator
from huracan.market.emulator.orders import TradingConfig
from huracan.market.emulator.prices import Quote
from huracan.market.emulator.signing import DEFAULT_API_KEY
from huracan.timeframes import Timeframe
from tests.market.conftest import HOUR_MS, TRADE_CLOCK, Connect, raw_balances

BTC = "BTC/USDT"
FEE = Decimal("0.001")
START = Decimal(100_000)


def quote(emu: Emulator, symbol: str = BTC) -> Quote:
    found = emu.trading.prices.quote(symbol, emu.clock_ms)
    assert found is not None
    return found


def future_candles(emu: Emulator, symbol: str = BTC, n: int = 200) -> list[tuple[int, Decimal, Decimal]]:
    """(open ms, low, high) of the next ``n`` 1h candles from the clock on, as the exchange will serve them."""
    block = emu.market.series(symbol, Timeframe.parse("1h")).page(emu.clock_ms, None, n, emu.clock_ms + n * HOUR_MS)
    return [
        (int(t), Decimal(f"{lo:.8f}"), Decimal(f"{hi:.8f}"))
        for t, lo, hi in zip(block.open_ms, block.low, block.high, strict=True)
    ]


# --- prices, balances and market orders --------------------------------------------------------------------


def test_prices_follow_the_candle_open_at_the_clock(trading_emu: Emulator, trader: ccxt.Exchange) -> None:
    (candle,) = trader.fetch_ohlcv(BTC, "1h", since=TRADE_CLOCK, limit=1)
    ticker = trader.fetch_ticker(BTC)
    assert candle[0] == TRADE_CLOCK and ticker["last"] == candle[1]  # reference = open of the candle at T
    ref = Decimal(str(candle[1]))
    bid, ask = Decimal(str(ticker["bid"])), Decimal(str(ticker["ask"]))
    tick = Decimal("0.01")
    assert bid == (ref * (1 - Decimal("0.00005")) / tick).to_integral_value(rounding="ROUND_FLOOR") * tick
    assert ask == (ref * (1 + Decimal("0.00005")) / tick).to_integral_value(rounding="ROUND_CEILING") * tick
    book = trader.fetch_order_book(BTC, limit=5)
    assert [b[0] for b in book["bids"]] == [float(bid - i * tick) for i in range(5)]
    assert [a[0] for a in book["asks"]] == [float(ask + i * tick) for i in range(5)]
    assert set(trader.fetch_tickers()) == {"BTC/USDT", "ETH/USDT"}
    trading_emu.advance_clock(HOUR_MS // 2)  # inside the same candle: the same price
    assert trader.fetch_ticker(BTC)["last"] == candle[1]


def test_balance_starts_with_the_quote_asset_only(trader: ccxt.Exchange) -> None:
    balances = raw_balances(trader)
    assert balances == {"BTC": (0, 0), "ETH": (0, 0), "USDT": (START, 0)}
    assert trader.fetch_balance({"omitZeroBalances": "true"})["total"] == {"USDT": 100_000.0}


def test_balances_are_settable_per_account(connect: Connect) -> None:
    other = "B" * 64
    config = TradingConfig(
        timeframe="1h", api_keys={DEFAULT_API_KEY: "s" * 10, other: "t" * 10}, balances={"USDT": 500, "BTC": 1}
    )
    with Emulator(seed=1, symbols=(BTC,), clock_ms=TRADE_CLOCK, trading=config) as emu:
        first, second = connect(emu, secret="s" * 10), connect(emu, other, "t" * 10)
        emu.trading.engine.set_balance(other, "USDT", 42)
        assert raw_balances(first) == {"BTC": (1, 0), "USDT": (500, 0)}
        assert raw_balances(second) == {"BTC": (1, 0), "USDT": (42, 0)}


def test_market_buy_then_sell_move_balances_by_price_and_fee(trading_emu: Emulator, trader: ccxt.Exchange) -> None:
    q = quote(trading_emu)
    buy = trader.create_order(BTC, "market", "buy", 0.1)
    assert (buy["status"], buy["filled"], buy["average"]) == ("closed", 0.1, float(q.ask))
    assert buy["fee"] == {"currency": "BTC", "cost": 0.0001}  # the fee is paid in the asset received
    got = Decimal("0.1") - Decimal("0.1") * FEE
    assert raw_balances(trader)["BTC"] == (got, 0)
    assert raw_balances(trader)["USDT"] == (START - Decimal("0.1") * q.ask, 0)

    sell = trader.create_order(BTC, "market", "sell", float(got))
    proceeds = got * q.bid
    assert sell["fee"] == {"currency": "USDT", "cost": float((proceeds * FEE).quantize(Decimal("1e-8")))}
    balances = raw_balances(trader)
    assert balances["BTC"] == (0, 0)
    assert balances["USDT"][0] == START - Decimal("0.1") * q.ask + proceeds - (proceeds * FEE).quantize(Decimal("1e-8"))
    trades = trader.fetch_my_trades(BTC)
    assert [(t["side"], t["takerOrMaker"], t["order"]) for t in trades] == [
        ("buy", "taker", buy["id"]),
        ("sell", "taker", sell["id"]),
    ]


def test_market_buy_by_quote_amount(trading_emu: Emulator, trader: ccxt.Exchange) -> None:
    q = quote(trading_emu)
    order = trader.create_market_buy_order_with_cost(BTC, 1000)
    qty = (Decimal(1000) / q.ask // Decimal("0.00001")) * Decimal("0.00001")
    assert Decimal(str(order["filled"])) == qty and order["cost"] <= 1000
    assert raw_balances(trader)["USDT"][0] == START - qty * q.ask


def test_insufficient_balance_is_rejected_and_changes_nothing(trader: ccxt.Exchange) -> None:
    with pytest.raises(ccxt.InsufficientFunds, match="Account has insufficient balance for requested action"):
        trader.create_order(BTC, "market", "buy", 100)
    with pytest.raises(ccxt.InsufficientFunds):
        trader.create_order(BTC, "market", "sell", 0.01)
    assert raw_balances(trader)["USDT"] == (START, 0) and trader.fetch_open_orders() == []


# --- limit orders ------------------------------------------------------------------------------------------


def test_limit_maker_that_would_cross_is_rejected_with_the_reason(trading_emu: Emulator, trader: ccxt.Exchange) -> None:
    q = quote(trading_emu)
    with pytest.raises(ccxt.OrderImmediatelyFillable, match="Order would immediately match and take"):
        trader.create_order(BTC, "limit", "buy", 0.01, float(q.ask), {"postOnly": True})
    with pytest.raises(ccxt.OrderImmediatelyFillable):
        trader.privatePostOrder(
            {"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT_MAKER", "quantity": "0.01", "price": f"{q.bid}"}
        )
    assert trader.fetch_open_orders(BTC) == [] and raw_balances(trader)["USDT"] == (START, 0)


def test_a_crossing_gtc_limit_fills_at_once_at_the_best_price(trading_emu: Emulator, trader: ccxt.Exchange) -> None:
    q = quote(trading_emu)
    order = trader.create_order(BTC, "limit", "buy", 0.01, float(q.ask * Decimal("1.01")))
    assert order["status"] == "closed" and order["average"] == float(q.ask)  # price improvement to the ask
    assert raw_balances(trader)["USDT"] == (START - Decimal("0.01") * q.ask, 0)  # the rest is unlocked


def test_ioc_that_does_not_cross_expires_unfilled(trading_emu: Emulator, trader: ccxt.Exchange) -> None:
    q = quote(trading_emu)
    order = trader.create_order(BTC, "limit", "buy", 0.01, float(q.bid), {"timeInForce": "IOC"})
    assert (order["status"], order["filled"]) == ("expired", 0.0)
    assert raw_balances(trader)["USDT"] == (START, 0)


def test_resting_maker_buy_fills_when_a_candle_trades_through_it_and_not_before(
    trading_emu: Emulator, trader: ccxt.Exchange
) -> None:
    q = quote(trading_emu)
    order = trader.create_order(BTC, "limit", "buy", 0.05, float(q.bid), {"postOnly": True})
    assert order["status"] == "open" and order["postOnly"] and order["fee"] is None
    locked = Decimal("0.05") * q.bid
    assert raw_balances(trader)["USDT"] == (START - locked, locked)
    through = next(c for c in future_candles(trading_emu) if c[1] < q.bid)
    while trading_emu.clock_ms + HOUR_MS <= through[0]:  # every candle before the one that trades through
        trading_emu.advance_clock(HOUR_MS)
        assert trader.fetch_order(order["id"], BTC)["status"] == "open"
    trading_emu.advance_clock(HOUR_MS - 1)  # the candle has not closed yet
    assert trader.fetch_order(order["id"], BTC)["status"] == "open"
    trading_emu.advance_clock(1)
    filled = trader.fetch_order(order["id"], BTC)
    assert (filled["status"], filled["filled"], filled["average"]) == ("closed", 0.05, float(q.bid))
    (trade,) = trader.fetch_my_trades(BTC)
    assert trade["takerOrMaker"] == "maker" and trade["timestamp"] == through[0] + HOUR_MS - 1
    assert trade["fee"] == {"currency": "BTC", "cost": 0.00005}
    assert raw_balances(trader)["USDT"] == (START - locked, 0)
    assert raw_balances(trader)["BTC"] == (Decimal("0.05") * (1 - FEE), 0)


def test_resting_maker_sell_fills_when_a_candle_trades_above_it(trading_emu: Emulator, connect: Connect) -> None:
    trading_emu.trading.engine.set_balance(DEFAULT_API_KEY, "BTC", 1)
    trader = connect(trading_emu)
    q = quote(trading_emu)
    candles = future_candles(trading_emu)
    price = q.ask + Decimal("50.00")
    order = trader.create_order(BTC, "limit", "sell", 0.2, float(price), {"postOnly": True})
    through = next(c for c in candles if c[2] > price)
    trading_emu.set_clock(through[0] + HOUR_MS - 1)
    assert trader.fetch_order(order["id"], BTC)["status"] == "open"
    trading_emu.set_clock(through[0] + HOUR_MS)
    assert trader.fetch_order(order["id"], BTC)["status"] == "closed"
    assert raw_balances(trader)["USDT"][0] == START + Decimal("0.2") * price * (1 - FEE)
    assert raw_balances(trader)["BTC"] == (Decimal("0.8"), 0)


def test_large_resting_order_fills_partially_per_candle_volume(connect: Connect) -> None:
    config = TradingConfig(timeframe="1h", max_fill_volume_frac=0.0001, balances={"USDT": 1_000_000})
    with Emulator(seed=1, symbols=(BTC,), clock_ms=TRADE_CLOCK, trading=config) as emu:
        trader = connect(emu)
        q = quote(emu)
        order = trader.create_order(BTC, "limit", "buy", 5, float(q.bid * Decimal("0.999")))
        step, filled = Decimal("0.00001"), Decimal(0)
        while filled < 5:
            emu.advance_clock(HOUR_MS)
            candle = emu.market.series(BTC, Timeframe.parse("1h")).page(emu.clock_ms - HOUR_MS, None, 1, emu.clock_ms)
            cap = (Decimal(f"{candle.volume[0]:.8f}") * Decimal("0.0001") // step) * step
            found = trader.fetch_order(order["id"], BTC)
            got = Decimal(found["info"]["executedQty"]) - filled
            through = Decimal(f"{candle.low[0]:.8f}") < q.bid * Decimal("0.999")
            assert got == (min(cap, 5 - filled) if through else 0)  # at most the cap of each candle
            filled += got
            status = "FILLED" if filled == 5 else "PARTIALLY_FILLED" if filled else "NEW"
            assert found["info"]["status"] == status
        assert len(trader.fetch_my_trades(BTC)) > 1


def test_cancel_unlocks_and_a_second_cancel_is_unknown(trading_emu: Emulator, trader: ccxt.Exchange) -> None:
    q = quote(trading_emu)
    order = trader.create_order(BTC, "limit", "buy", 0.01, float(q.bid - 100))
    canceled = trader.cancel_order(order["id"], BTC)
    assert canceled["status"] == "canceled" and canceled["info"]["origClientOrderId"] == order["clientOrderId"]
    assert raw_balances(trader)["USDT"] == (START, 0)
    with pytest.raises(ccxt.OrderNotFound, match="Unknown order sent"):
        trader.cancel_order(order["id"], BTC)
    trading_emu.advance_clock(100 * HOUR_MS)  # a cancelled order never fills
    assert trader.fetch_order(order["id"], BTC)["status"] == "canceled" and trader.fetch_my_trades(BTC) == []


def test_open_orders_all_orders_and_my_trades(trading_emu: Emulator, trader: ccxt.Exchange) -> None:
    btc, eth = quote(trading_emu), quote(trading_emu, "ETH/USDT")
    a = trader.create_order(BTC, "limit", "buy", 0.01, float(btc.bid - 500))
    b = trader.create_order("ETH/USDT", "limit", "buy", 0.1, float(eth.bid - 20))
    market = trader.create_order(BTC, "market", "buy", 0.01)
    assert [o["id"] for o in trader.fetch_open_orders(BTC)] == [a["id"]]
    assert {o["id"] for o in trader.fetch_open_orders()} == {a["id"], b["id"]}
    assert [o["id"] for o in trader.fetch_orders(BTC)] == [a["id"], market["id"]]
    assert [o["id"] for o in trader.fetch_closed_orders(BTC)] == [market["id"]]
    (trade,) = trader.fetch_my_trades(BTC, since=TRADE_CLOCK)
    assert trade["order"] == market["id"] and trader.fetch_my_trades(BTC, since=TRADE_CLOCK + 1) == []
    assert trader.fetch_my_trades("ETH/USDT") == []


def test_fetch_by_client_order_id_and_reuse_once_closed(trading_emu: Emulator, trader: ccxt.Exchange) -> None:
    q = quote(trading_emu)
    first = trader.create_order(BTC, "limit", "buy", 0.01, float(q.bid - 10), {"clientOrderId": "huracan-1"})
    assert trader.fetch_order(None, BTC, {"clientOrderId": "huracan-1"})["id"] == first["id"]
    with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):
        trader.create_order(BTC, "limit", "buy", 0.01, float(q.bid - 20), {"clientOrderId": "huracan-1"})
    trader.cancel_order(None, BTC, {"clientOrderId": "huracan-1"})
    second = trader.create_order(BTC, "market", "buy", 0.01, None, {"clientOrderId": "huracan-1"})
    assert second["id"] != first["id"] and second["clientOrderId"] == "huracan-1"
    assert trader.fetch_order(None, BTC, {"clientOrderId": "huracan-1"})["id"] == second["id"]
    assert trader.fetch_order(first["id"], BTC)["status"] == "canceled"
    with pytest.raises(ccxt.OrderNotFound, match="Order does not exist"):
        trader.fetch_order(None, BTC, {"clientOrderId": "never-sent"})
    with pytest.raises(ccxt.BadRequest, match="Illegal characters found in parameter 'newClientOrderId'"):
        trader.create_order(BTC, "market", "buy", 0.01, None, {"clientOrderId": "not allowed!"})


def test_orders_of_one_account_are_invisible_to_another(trading_emu: Emulator, connect: Connect) -> None:
    other = "C" * 64
    config = TradingConfig(timeframe="1h", api_keys={DEFAULT_API_KEY: "x", other: "y"})
    with Emulator(seed=1, symbols=(BTC,), clock_ms=TRADE_CLOCK, trading=config) as emu:
        mine, theirs = connect(emu, secret="x"), connect(emu, other, "y")
        order = mine.create_order(BTC, "market", "buy", 0.01)
        with pytest.raises(ccxt.OrderNotFound):
            theirs.fetch_order(order["id"], BTC)
        assert theirs.fetch_my_trades(BTC) == [] and raw_balances(theirs)["USDT"] == (START, 0)


# --- filters -----------------------------------------------------------------------------------------------


def test_markets_carry_the_filters(trader: ccxt.Exchange) -> None:
    btc = trader.market(BTC)
    assert (btc["precision"]["price"], btc["precision"]["amount"]) == (0.01, 0.00001)
    assert (btc["limits"]["amount"]["min"], btc["limits"]["cost"]["min"]) == (0.00001, 5.0)
    assert btc["info"]["orderTypes"] == ["LIMIT", "LIMIT_MAKER", "MARKET"]


@pytest.mark.parametrize(
    ("changes", "error", "reason"),
    [
        ({"price": "{bid}1"}, ccxt.InvalidOrder, "PRICE_FILTER"),  # one more decimal than the tick
        ({"quantity": "0.000015"}, ccxt.InvalidOrder, "LOT_SIZE"),
        ({"quantity": "0.00001"}, ccxt.BadRequest, "NOTIONAL"),  # ~0.1 USDT < 5
        ({"price": "1.00"}, ccxt.InvalidOrder, "PERCENT_PRICE_BY_SIDE"),
        ({"quantity": "0.0000100001"}, ccxt.BadRequest, "Precision is over the maximum"),
        ({"timeInForce": "GTD"}, ccxt.BadRequest, "Invalid timeInForce"),
        ({"side": "HOLD"}, ccxt.BadRequest, "Invalid side"),
        ({"type": "STOP_LOSS"}, ccxt.BadRequest, "Invalid orderType"),
        ({"symbol": "DOGEUSDT"}, ccxt.BadSymbol, "Invalid symbol"),
        ({"price": None}, ccxt.BadRequest, "Mandatory parameter 'price'"),
    ],
)
def test_orders_breaking_a_filter_or_a_rule_are_rejected(
    trading_emu: Emulator, trader: ccxt.Exchange, changes: dict, error: type[Exception], reason: str
) -> None:
    bid = f"{quote(trading_emu).bid:.2f}"
    request = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01"}
    request["price"] = bid
    for name, value in changes.items():
        if value is None:
            del request[name]
        else:
            request[name] = value.format(bid=bid)
    with pytest.raises(error, match=reason):
        trader.privatePostOrder(request)
    assert trader.fetch_open_orders() == []


# --- authentication ----------------------------------------------------------------------------------------


def test_bad_signature_and_bad_keys_are_rejected(trading_emu: Emulator, connect: Connect) -> None:
    with pytest.raises(ccxt.AuthenticationError, match="-1022"):
        connect(trading_emu, secret="wrong").fetch_balance()
    with pytest.raises(ccxt.AuthenticationError, match="-2015"):
        connect(trading_emu, api_key="Z" * 64).fetch_balance()
    with pytest.raises(ccxt.AuthenticationError, match="-2014"):
        connect(trading_emu, api_key="not-a-key").fetch_balance()
    with pytest.raises(ccxt.AuthenticationError, match="-2015"):
        connect(trading_emu, api_key="Z" * 64).create_order(BTC, "market", "buy", 0.01)
    assert trading_emu.trading.engine.orders(DEFAULT_API_KEY) == []


def test_stale_or_future_timestamps_are_rejected(trading_emu: Emulator, connect: Connect) -> None:
    late = connect(trading_emu)
    late.options["timeDifference"] = 20_000  # signs 20 s in the past, outside ccxt's 10 s recvWindow
    with pytest.raises(ccxt.InvalidNonce, match="outside of the recvWindow"):
        late.fetch_balance()
    early = connect(trading_emu)
    early.options["timeDifference"] = -5_000
    with pytest.raises(ccxt.InvalidNonce, match="ahead of the server"):
        early.fetch_balance()
    late.options["recvWindow"] = 30_000  # a wider window accepts it
    assert late.fetch_balance()["USDT"]["free"] == 100_000


def test_a_tampered_request_fails_its_signature(trading_emu: Emulator, trader: ccxt.Exchange) -> None:
    request = trader.sign("order", ["private"], "POST", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET"})
    tampered = request["body"].replace("side=BUY", "side=SELL")
    http = urllib.request.Request(
        trading_emu.url + "/api/v3/order", data=tampered.encode(), headers=request["headers"], method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(http)
    assert raised.value.code == 400 and json.loads(raised.value.read())["code"] == -1022
    unsigned = urllib.request.Request(trading_emu.url + "/api/v3/account?timestamp=1")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(unsigned)
    assert raised.value.code == 401 and json.loads(raised.value.read())["code"] == -2014


def test_public_endpoints_need_no_key(trading_emu: Emulator, connect: Connect) -> None:
    anonymous = connect(trading_emu, api_key="", secret="")
    assert anonymous.fetch_ticker(BTC)["last"] == float(quote(trading_emu).reference)
    assert len(anonymous.fetch_order_book(BTC)["bids"]) == 100
    assert set(anonymous.fetch_bids_asks([BTC, "ETH/USDT"])) == {BTC, "ETH/USDT"}


def test_a_csv_symbol_trades_on_its_own_file_and_not_before_its_first_candle(tmp_path: Path, connect: Connect) -> None:
    path = tmp_path / "abc_1h.csv"
    rows = [(TRADE_CLOCK + i * HOUR_MS, 10 + i, 11 + i, 9 + i, 10.5 + i, 1000) for i in range(5)]
    path.write_text("timestamp,open,high,low,close,volume\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    with Emulator(symbols=(), csv={("ABC/USDT", "1h"): path}, clock_ms=TRADE_CLOCK - 1) as emu:  # trades on 1d
        trader = connect(emu)
        with pytest.raises(ccxt.MarketClosed, match="Market is closed"):
            trader.create_order("ABC/USDT", "market", "buy", 1)
        emu.set_clock(TRADE_CLOCK + 2 * HOUR_MS + 5)
        assert trader.fetch_ticker("ABC/USDT")["last"] == 12.0  # the open of the 1h candle at the clock
        emu.set_clock(TRADE_CLOCK + 10 * HOUR_MS)  # after the file's end: the last close
        assert trader.fetch_ticker("ABC/USDT")["last"] == 14.5


def test_ccxt_reports_a_bad_key_as_rate_limiting_once_a_private_call_succeeded(
    trading_emu: Emulator, trader: ccxt.Exchange
) -> None:
    trader.fetch_balance()
    trader.apiKey = "Z" * 64
    with pytest.raises(ccxt.DDoSProtection, match="-2015"):  # ccxt's workaround for Binance's temporary bans
        trader.fetch_balance()

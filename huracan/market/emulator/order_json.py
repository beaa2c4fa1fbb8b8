"""Binance spot JSON shapes of orders, fills, trades and accounts, as the order endpoints answer them.

Decimals are strings with 8 decimals, times integers (ms UTC), as Binance sends them; the fields are the
ones ccxt's ``binance.parse_order``, ``parse_trade`` and ``parse_balance`` read, plus Binance's others.
"""

from __future__ import annotations

from typing import Any

from huracan.market.emulator.order_model import Account, Balance, Order, OrderType, Trade
from huracan.market.emulator.series import market_id

SELF_TRADE_PREVENTION = "EXPIRE_MAKER"


def _text(value: object) -> str:
    return f"{value:.8f}"


def ack_json(order: Order) -> dict[str, Any]:
    """``newOrderRespType=ACK``: the order's ids and acceptance time."""
    return {
        "symbol": market_id(order.symbol),
        "orderId": order.order_id,
        "orderListId": -1,
        "clientOrderId": order.client_order_id,
        "transactTime": order.time_ms,
    }


def _state(order: Order) -> dict[str, Any]:
    return {
        "price": _text(order.price or 0),
        "origQty": _text(order.orig_qty),
        "executedQty": _text(order.executed_qty),
        "origQuoteOrderQty": _text(order.orig_quote_qty),
        "cummulativeQuoteQty": _text(order.cum_quote_qty),
        "status": str(order.status),
        "timeInForce": str(order.time_in_force),
        "type": str(order.type),
        "side": str(order.side),
    }


def result_json(order: Order) -> dict[str, Any]:
    """``newOrderRespType=RESULT``: the order's state at acceptance."""
    return {
        **ack_json(order),
        **_state(order),
        "workingTime": order.time_ms,
        "selfTradePreventionMode": SELF_TRADE_PREVENTION,
    }


def full_json(order: Order, trades: list[Trade]) -> dict[str, Any]:
    """``newOrderRespType=FULL``: RESULT plus the fills made at acceptance."""
    fills = [
        {
            "price": _text(t.price),
            "qty": _text(t.qty),
            "commission": _text(t.commission),
            "commissionAsset": t.commission_asset,
            "tradeId": t.trade_id,
        }
        for t in trades
    ]
    return {**result_json(order), "fills": fills}


def order_json(order: Order) -> dict[str, Any]:
    """``GET /api/v3/order`` (and openOrders, allOrders) entry."""
    return {
        "symbol": market_id(order.symbol),
        "orderId": order.order_id,
        "orderListId": -1,
        "clientOrderId": order.client_order_id,
        **_state(order),
        "stopPrice": _text(0),
        "icebergQty": _text(0),
        "time": order.time_ms,
        "updateTime": order.update_ms,
        "isWorking": order.type is not OrderType.MARKET,
        "workingTime": order.time_ms,
        "selfTradePreventionMode": SELF_TRADE_PREVENTION,
    }


def cancel_json(order: Order, cancel_client_id: str, clock_ms: int) -> dict[str, Any]:
    """``DELETE /api/v3/order`` answer. As on Binance, ``clientOrderId`` is the *cancel request's* id and
    the order's own is ``origClientOrderId`` (so ccxt's parsed ``clientOrderId`` is the cancel's)."""
    return {
        "symbol": market_id(order.symbol),
        "origClientOrderId": order.client_order_id,
        "orderId": order.order_id,
        "orderListId": -1,
        "clientOrderId": cancel_client_id,
        "transactTime": clock_ms,
        **_state(order),
        "selfTradePreventionMode": SELF_TRADE_PREVENTION,
    }


def trade_json(trade: Trade) -> dict[str, Any]:
    """``GET /api/v3/myTrades`` entry."""
    return {
        "symbol": market_id(trade.symbol),
        "id": trade.trade_id,
        "orderId": trade.order_id,
        "orderListId": -1,
        "price": _text(trade.price),
        "qty": _text(trade.qty),
        "quoteQty": _text(trade.quote_qty),
        "commission": _text(trade.commission),
        "commissionAsset": trade.commission_asset,
        "time": trade.time_ms,
        "isBuyer": trade.side == "BUY",
        "isMaker": trade.is_maker,
        "isBestMatch": True,
    }


def account_json(
    account: Account, fee_bips: tuple[int, int], fee_fracs: tuple[object, object], omit_zero: bool
) -> dict[str, Any]:
    """``GET /api/v3/account`` answer; commissions in hundredths of a percent and as fractions."""
    maker_bips, taker_bips = fee_bips
    maker, taker = fee_fracs
    return {
        "makerCommission": maker_bips,
        "takerCommission": taker_bips,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {"maker": _text(maker), "taker": _text(taker), "buyer": _text(0), "seller": _text(0)},
        "canTrade": True,
        "canWithdraw": True,
        "canDeposit": True,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": account.update_ms,
        "accountType": "SPOT",
        "balances": [
            {"asset": asset, "free": _text(b.free), "locked": _text(b.locked)}
            for asset, b in sorted(account.balances.items())
            if not (omit_zero and b.free == 0 and b.locked == 0)
        ],
        "permissions": ["SPOT"],
        "uid": 1,
    }


def coin_json(asset: str, balance: Balance) -> dict[str, Any]:
    """``GET /sapi/v1/capital/config/getall`` entry: the asset and its balance, no deposit or withdrawal
    networks (the emulator moves no coins in or out)."""
    return {
        "coin": asset,
        "name": asset,
        "depositAllEnable": False,
        "withdrawAllEnable": False,
        "free": _text(balance.free),
        "locked": _text(balance.locked),
        "freeze": _text(0),
        "withdrawing": _text(0),
        "ipoing": _text(0),
        "ipoable": _text(0),
        "storage": _text(0),
        "isLegalMoney": False,
        "trading": True,
        "networkList": [],
    }

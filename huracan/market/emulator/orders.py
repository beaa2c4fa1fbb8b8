"""The emulator's spot venue: accounts, orders, fills and the matching engine behind the order endpoints.

Money is :class:`~decimal.Decimal`: prices and quote amounts in quote currency, quantities in the base
asset, rounded to 8 decimals as Binance shows them; times are the emulator clock, ms UTC.

**Accounts.** One per API key, with a free and a locked balance per asset (default: 100,000 of each listed
quote asset, nothing else; :class:`TradingConfig` ``balances`` sets them). A resting buy locks price x
quantity of the quote asset, a resting sell its quantity of the base asset, until filled or cancelled.

**Orders** (Binance spot): ``MARKET`` (by ``quantity``, or by ``quoteOrderQty``: the quantity that quote
amount buys or sells at the best price, rounded down to the lot step), ``LIMIT`` with ``GTC``, ``IOC`` or
``FOK``, and ``LIMIT_MAKER`` (post-only). Prices come from :mod:`huracan.market.emulator.prices`.

- A market order, and a limit order whose price reaches the other side (a buy at or above the best ask, a
  sell at or below the best bid), fill at once and in full at the best ask (buy) or bid (sell), as taker.
  A ``LIMIT_MAKER`` that would do so is rejected: -2010 "Order would immediately match and take.".
- An ``IOC``/``FOK`` limit order that does not cross expires unfilled (status ``EXPIRED``).
- Any other limit order rests (``NEW``) and is **matched against the trading series' candles that open at
  or after the time it was placed, once each has closed**: a buy fills when such a candle's low is below
  its price, a sell when the high is above it (touching is not enough), at the limit price, as maker. Per
  candle an order fills at most ``max_fill_volume_frac`` of the candle's volume (rounded down to the lot
  step); the rest stays open (``PARTIALLY_FILLED``) for the next candles. The fill's time is the candle's
  close time (open + timeframe - 1 ms). Matching runs when the emulator's clock is set or advanced and
  before every signed request; its result depends only on the candles and the clock, never on when it ran.
  Setting the clock back undoes nothing.

**Fees** (``maker_fee_frac``/``taker_fee_frac``, default 0.1 % each) are charged, as Binance does without BNB,
in the asset received: a buy pays its commission in the base asset (it receives quantity - commission), a
sell in the quote asset (it receives price x quantity - commission), rounded to 8 decimals.

**Client order ids.** An account may not reuse the client id of one of its *open* orders on the symbol
(-2010 "Duplicate order sent."); once that order is filled, cancelled or expired the id may be reused, and a
lookup by client id finds the most recent order with it. Order and trade ids count from 1 per symbol.

The records (orders, trades, accounts) are in :mod:`huracan.market.emulator.order_model`; an order's status
changes only through its ``apply``, by the table ``order_model.TRANSITIONS``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from huracan.market.emulator.filters import FilterFailure
from huracan.market.emulator.order_model import (
    Account,
    Balance,
    NewOrder,
    Order,
    OrderEvent,
    OrderType,
    Side,
    TimeInForce,
    Trade,
    q8,
)
from huracan.market.emulator.prices import PriceBook, Quote
from huracan.market.emulator.server import ApiError
from huracan.market.emulator.signing import DEFAULT_API_KEY, DEFAULT_API_SECRET, check_key_format
from huracan.timeframes import Timeframe

DEFAULT_QUOTE_BALANCE = 100_000.0
"""Starting balance of each listed quote asset in every account, quote currency."""


def rejected(msg: str) -> ApiError:
    """Binance's NEW_ORDER_REJECTED answer (-2010) with ``msg``."""
    return ApiError(400, -2010, msg)


@dataclass(frozen=True)
class TradingConfig:
    """What the emulator's venue trades with (see the module docstring).

    :param api_keys: secret per API key (64 letters or digits each); each key is one account. Default:
        :data:`~huracan.market.emulator.signing.DEFAULT_API_KEY` with its secret.
    :param balances: starting free balance per asset of every account (e.g. ``{"USDT": 5000, "BTC": 1}``);
        ``None`` means 100,000 of each listed quote asset.
    :param maker_fee_frac: fee of a resting order's fill, fraction of its notional, in [0, 0.1].
    :param taker_fee_frac: fee of an immediate fill, fraction of its notional, in [0, 0.1].
    :param spread_frac: full bid-ask spread around the reference price, fraction, in [0, 0.5).
    :param timeframe: the trading timeframe whose candles set prices and fill resting orders.
    :param max_fill_volume_frac: largest fraction of one candle's volume a resting order fills per candle,
        in (0, 1].
    """

    api_keys: Mapping[str, str] = field(default_factory=lambda: {DEFAULT_API_KEY: DEFAULT_API_SECRET})
    balances: Mapping[str, float] | None = None
    maker_fee_frac: float = 0.001
    taker_fee_frac: float = 0.001
    spread_frac: float = 0.0001
    timeframe: str = "1d"
    max_fill_volume_frac: float = 0.1

    def __post_init__(self) -> None:
        for key in self.api_keys:
            check_key_format(key)
        for name in ("maker_fee_frac", "taker_fee_frac"):
            if not 0.0 <= getattr(self, name) <= 0.1:
                raise ValueError(f"{name} must be a fraction in [0, 0.1] (0.001 is 0.1 %), got {getattr(self, name)}")
        if not 0.0 <= self.spread_frac < 0.5:
            raise ValueError(f"spread_frac must be a fraction in [0, 0.5), got {self.spread_frac}")
        if not 0.0 < self.max_fill_volume_frac <= 1.0:
            raise ValueError(f"max_fill_volume_frac must be in (0, 1], got {self.max_fill_volume_frac}")
        for asset, amount in (self.balances or {}).items():
            if not amount >= 0:
                raise ValueError(f"balance of {asset} must be >= 0, got {amount}")
        Timeframe.parse(self.timeframe)


def _assets(symbol: str) -> tuple[str, str]:
    base, _, quote = symbol.partition("/")
    return base, quote


class OrderEngine:
    """Accounts, orders and trades of every API key, and the matching engine (see the module docstring).

    Thread-safe: every public method holds :attr:`lock` (re-entrant); hold it yourself to read orders
    returned by :meth:`find` or :meth:`orders` consistently while other requests are served.
    """

    def __init__(self, prices: PriceBook, config: TradingConfig) -> None:
        self.prices, self.config = prices, config
        self._maker_fee = Decimal(repr(config.maker_fee_frac))
        self._taker_fee = Decimal(repr(config.taker_fee_frac))
        self._volume_frac = Decimal(repr(config.max_fill_volume_frac))
        symbols = tuple(prices.market.symbols.values())
        self._assets = sorted({asset for symbol in symbols for asset in _assets(symbol)})
        if config.balances is None:
            start = {quote: DEFAULT_QUOTE_BALANCE for _, quote in map(_assets, symbols)}
        else:
            start = dict(config.balances)
        self._accounts = {
            key: Account({a: Balance(q8(Decimal(repr(float(start.get(a, 0.0)))))) for a in {*self._assets, *start}})
            for key in config.api_keys
        }
        self._orders: dict[str, dict[int, Order]] = {symbol: {} for symbol in symbols}
        self._trades: dict[str, list[Trade]] = {symbol: [] for symbol in symbols}
        self.lock = threading.RLock()

    # --- accounts --------------------------------------------------------------------------------------

    def account(self, api_key: str) -> Account:
        """The account of ``api_key`` (a copy of its balances, so callers cannot change it)."""
        with self.lock:
            account = self._accounts[api_key]
            return Account({a: Balance(b.free, b.locked) for a, b in account.balances.items()}, account.update_ms)

    def set_balance(self, api_key: str, asset: str, free: float) -> None:
        """Set the free balance of ``asset`` (its amount, >= 0) in the account of ``api_key``."""
        if not free >= 0:
            raise ValueError(f"balance of {asset} must be >= 0, got {free}")
        with self.lock:
            self._accounts[api_key].balance(asset).free = q8(Decimal(repr(float(free))))

    @property
    def fee_bips(self) -> tuple[int, int]:
        """(maker, taker) commission in hundredths of a percent, as ``/api/v3/account`` shows them."""
        return int(self._maker_fee * 10_000), int(self._taker_fee * 10_000)

    @property
    def fee_fracs(self) -> tuple[Decimal, Decimal]:
        return self._maker_fee, self._taker_fee

    # --- orders ------------------------------------------------------------------------------------------

    def place(self, api_key: str, new: NewOrder, clock_ms: int) -> tuple[Order, list[Trade]]:
        """Accept ``new`` at ``clock_ms`` and fill what fills at once; else raise Binance's rejection."""
        with self.lock:
            self._match(clock_ms)
            quote = self.prices.quote(new.symbol, clock_ms)
            if quote is None:
                raise ApiError(400, -1013, "Market is closed.")
            orders = self._orders[new.symbol]
            if new.client_order_id is not None and any(
                o.api_key == api_key and o.is_open and o.client_order_id == new.client_order_id for o in orders.values()
            ):
                raise rejected("Duplicate order sent.")
            qty, lock, crosses = self._check(api_key, new, quote)
            account = self._accounts[api_key]
            base, quote_asset = _assets(new.symbol)
            lock_asset = quote_asset if new.side is Side.BUY else base
            if account.balance(lock_asset).free < lock:
                raise rejected("Account has insufficient balance for requested action.")
            order_id = len(orders) + 1
            order = Order(
                api_key=api_key,
                symbol=new.symbol,
                order_id=order_id,
                client_order_id=new.client_order_id or f"emulator{order_id:014d}",
                side=new.side,
                type=new.type,
                time_in_force=new.time_in_force,
                price=new.price,
                orig_qty=qty,
                orig_quote_qty=new.quote_qty or Decimal(0),
                time_ms=clock_ms,
                update_ms=clock_ms,
                locked=lock,
                next_candle_ms=clock_ms,
            )
            orders[order_id] = order
            account.balance(lock_asset).free -= lock
            account.balance(lock_asset).locked += lock
            account.update_ms = clock_ms
            trades = []
            if crosses:
                touch = quote.ask if new.side is Side.BUY else quote.bid
                trades.append(self._fill(order, touch, qty, False, clock_ms))
            elif new.time_in_force is not TimeInForce.GTC:
                self._close(order, OrderEvent.EXPIRE, clock_ms)
            return order, trades

    def _check(self, api_key: str, new: NewOrder, quote: Quote) -> tuple[Decimal, Decimal, bool]:
        """(quantity, amount to lock, fills at once) of a request that passes the filters and rules."""
        filters = self.prices.filters(new.symbol)
        touch = quote.ask if new.side is Side.BUY else quote.bid
        try:
            if new.type is OrderType.MARKET:
                qty = new.qty if new.qty is not None else filters.floor_qty((new.quote_qty or Decimal(0)) / touch)
                filters.check_quantity(qty)
                filters.check_notional(qty * quote.reference, market=True)
                return qty, q8(qty * touch) if new.side is Side.BUY else qty, True
            if new.price is None or new.qty is None:
                raise ValueError(f"a {new.type} order needs a price and a quantity")
            qty, price = new.qty, new.price
            filters.check_price(price, quote.reference)
            filters.check_quantity(qty)
            filters.check_notional(price * qty, market=False)
            open_orders = sum(1 for o in self._orders[new.symbol].values() if o.api_key == api_key and o.is_open)
            if open_orders >= filters.max_num_orders:
                raise FilterFailure("MAX_NUM_ORDERS")
        except FilterFailure as failure:
            raise ApiError(400, -1013, str(failure)) from None
        crosses = price >= quote.ask if new.side is Side.BUY else price <= quote.bid
        if crosses and new.type is OrderType.LIMIT_MAKER:
            raise rejected("Order would immediately match and take.")
        return qty, q8(qty * price) if new.side is Side.BUY else qty, crosses

    def _fill(self, order: Order, price: Decimal, qty: Decimal, maker: bool, clock_ms: int) -> Trade:
        """Fill ``qty`` of ``order`` at ``price``: move balances, record the trade, advance the status."""
        account = self._accounts[order.api_key]
        base, quote_asset = _assets(order.symbol)
        quote_qty = q8(price * qty)
        fee = self._maker_fee if maker else self._taker_fee
        last = qty == order.remaining_qty
        if order.side is Side.BUY:
            release = order.locked if last else min(order.locked, q8((order.price or price) * qty))
            commission, commission_asset = q8(qty * fee), base
            account.balance(quote_asset).locked -= release
            account.balance(quote_asset).free += release - quote_qty
            account.balance(base).free += qty - commission
        else:
            release = qty
            commission, commission_asset = q8(quote_qty * fee), quote_asset
            account.balance(base).locked -= release
            account.balance(quote_asset).free += quote_qty - commission
        order.locked -= release
        order.executed_qty += qty
        order.cum_quote_qty += quote_qty
        order.apply(OrderEvent.FILL if last else OrderEvent.PART_FILL, clock_ms)
        account.update_ms = clock_ms
        trades = self._trades[order.symbol]
        trade = Trade(
            order.api_key,
            order.symbol,
            len(trades) + 1,
            order.order_id,
            order.side,
            price,
            qty,
            quote_qty,
            commission,
            commission_asset,
            clock_ms,
            maker,
        )
        trades.append(trade)
        return trade

    def _close(self, order: Order, event: OrderEvent, clock_ms: int) -> None:
        """Cancel or expire ``order`` and unlock what it still holds."""
        order.apply(event, clock_ms)
        base, quote_asset = _assets(order.symbol)
        balance = self._accounts[order.api_key].balance(quote_asset if order.side is Side.BUY else base)
        balance.locked -= order.locked
        balance.free += order.locked
        order.locked = Decimal(0)
        self._accounts[order.api_key].update_ms = clock_ms

    def find(self, api_key: str, symbol: str, order_id: int | None, client_order_id: str | None) -> Order | None:
        """The account's order on ``symbol`` by id, else the most recent with the client id; both given: the
        order with that id, only if its client id matches."""
        with self.lock:
            orders = self._orders[symbol]
            if order_id is not None:
                order = orders.get(order_id)
                if order is None or order.api_key != api_key:
                    return None
                return order if client_order_id in (None, order.client_order_id) else None
            matches = [o for o in orders.values() if o.api_key == api_key and o.client_order_id == client_order_id]
            return matches[-1] if matches else None

    def cancel(
        self, api_key: str, symbol: str, order_id: int | None, client_order_id: str | None, clock_ms: int
    ) -> Order:
        """Cancel an open order of the account; -2011 "Unknown order sent." if there is none."""
        with self.lock:
            self._match(clock_ms)
            order = self.find(api_key, symbol, order_id, client_order_id)
            if order is None or not order.is_open:
                raise ApiError(400, -2011, "Unknown order sent.")
            self._close(order, OrderEvent.CANCEL, clock_ms)
            return order

    def orders(self, api_key: str, symbol: str | None = None, open_only: bool = False) -> list[Order]:
        """The account's orders (on ``symbol``, or all), by symbol then order id."""
        with self.lock:
            return [
                o
                for s in sorted(self._orders)
                if symbol in (None, s)
                for o in self._orders[s].values()
                if o.api_key == api_key and (o.is_open or not open_only)
            ]

    def trades(self, api_key: str, symbol: str) -> list[Trade]:
        """The account's trades on ``symbol``, by trade id."""
        with self.lock:
            return [t for t in self._trades[symbol] if t.api_key == api_key]

    # --- matching ----------------------------------------------------------------------------------------

    def match(self, clock_ms: int) -> None:
        """Fill resting orders against every candle closed by ``clock_ms`` (see the module docstring)."""
        with self.lock:
            self._match(clock_ms)

    def _match(self, clock_ms: int) -> None:
        for symbol, orders in self._orders.items():
            resting = [o for o in orders.values() if o.is_open]
            if not resting:
                continue
            filters = self.prices.filters(symbol)
            for candle in self.prices.closed_candles(symbol, min(o.next_candle_ms for o in resting), clock_ms):
                cap = filters.floor_qty(candle.volume * self._volume_frac)
                for order in resting:
                    if order.next_candle_ms > candle.open_ms:
                        continue
                    order.next_candle_ms = candle.open_ms + 1
                    assert order.price is not None  # only limit orders rest
                    through = candle.low < order.price if order.side is Side.BUY else candle.high > order.price
                    qty = min(order.remaining_qty, cap)
                    if through and qty > 0:
                        self._fill(order, order.price, qty, True, candle.close_ms)
                resting = [o for o in resting if o.is_open]
                if not resting:
                    break

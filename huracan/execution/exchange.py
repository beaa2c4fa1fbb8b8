"""The exchange broker: the only path from Huracan to real orders, through ccxt's unified methods.

Used only when live trading is switched on (:mod:`huracan.execution.live_mode`). Every call:

1. **reconciles** the symbol first: the store's open orders against the exchange's, and the base the
   book holds against the exchange's balance; a mismatch halts the book (recorded with what differs)
   and no order is sent until someone looks;
2. asks the **risk manager** (the same :class:`~huracan.risk.manager.RiskManager` as paper);
3. applies the **exchange's filters** (amount precision, minimum amount and notional) before sending;
4. records the order as ``SUBMITTED`` under its **deterministic client order id**, then sends it;
5. on a timeout, a 5xx, a 429 or a lost response, **looks the order up by its client id** before
   anything else, several times with backoff (Binance denies an order it accepted moments ago for a
   while), then checks the account's orders and its balance; only when all of them show no such order
   is it sent again, with the same client id, so the exchange can never hold two;
6. records the fills by trade id (fees in the asset the exchange charged them in, converted to quote)
   and moves the book; a rejection is recorded with the exchange's reason and nothing as filled.

Only ccxt's unified methods are used (``create_order``, ``fetch_order``, ``fetch_orders``,
``fetch_open_orders``, ``fetch_my_trades``, ``fetch_balance``), so another exchange is a setting. Keys
come from the settings (``SecretStr``) and are removed from every message this module writes.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from huracan.errors import HuracanError
from huracan.execution.manual import decision_ms, manual_intent, manual_order
from huracan.execution.orders import Fill, Order, OrderStatus, transition
from huracan.execution.paper import Bar, PaperAccountConfig, Placed
from huracan.execution.store import Book, ExecutionStore, UnknownAccountError
from huracan.market.retry import RetryPolicy, retry_transient
from huracan.risk.intent import Side

if TYPE_CHECKING:
    import ccxt

    from huracan.config import Settings
    from huracan.risk.manager import RiskManager

log = logging.getLogger(__name__)

LIVE_ACCOUNT = "live"


class _RedactSecrets(logging.Filter):
    """Removes the keys from every record of the logger it is attached to (ccxt logs request headers,
    the API key among them, at DEBUG)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, ()
        return True


class ReconciliationError(HuracanError):
    """The exchange and the store disagree about a symbol; its book is halted until fixed by hand."""


class OrderUncertain(HuracanError):
    """An order's fate could not be established after every lookup; nothing is re-sent."""


class ExchangeBroker:
    """Real orders for the ``live`` account.

    :param exchange: a ccxt exchange with keys (:meth:`from_settings` builds it).
    :param store: the execution tables.
    :param risk: the risk manager.
    :param config: the account's currency and the allocation of a new book.
    :param lookups: lookups by client id after a lost answer, >= 1.
    :param lookup_delay_s: the first wait between lookups, doubling each time, s.
    :param resends: how many times an order proven absent is sent again, >= 0.
    :param sleep: the wait function (tests pass a fast one).
    :param retry_policy: how the reads (balance, open orders, trades) are retried on transient errors.
    """

    def __init__(
        self,
        exchange: ccxt.Exchange,
        store: ExecutionStore,
        risk: RiskManager,
        config: PaperAccountConfig,
        account: str = LIVE_ACCOUNT,
        lookups: int = 5,
        lookup_delay_s: float = 0.5,
        resends: int = 1,
        sleep: Callable[[float], None] = time.sleep,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        if lookups < 1 or resends < 0:
            raise ValueError(f"need lookups >= 1 and resends >= 0, got {lookups}, {resends}")
        self.exchange = exchange
        self.store = store
        self.risk = risk
        self.config = replace(config, mode="live")
        self.account = account
        self.lookups = lookups
        self.lookup_delay_s = lookup_delay_s
        self.resends = resends
        self.sleep = sleep
        self.retry_policy = RetryPolicy() if retry_policy is None else retry_policy
        self.rng = random.Random(0)
        self._secrets = [s for s in (getattr(exchange, "apiKey", ""), getattr(exchange, "secret", "")) if s]
        if self._secrets:
            ccxt_log = logging.getLogger("ccxt.base.exchange")
            ccxt_log.filters = [f for f in ccxt_log.filters if not isinstance(f, _RedactSecrets)]
            ccxt_log.addFilter(_RedactSecrets(self._secrets))

    @classmethod
    def from_settings(cls, settings: Settings) -> ExchangeBroker:
        """The broker of the configured exchange with the configured keys; refuses unless live trading is on."""
        from huracan.execution.live_mode import require_live_mode
        from huracan.market.exchange import build_exchange
        from huracan.risk.manager import RiskManager

        require_live_mode(settings)
        assert settings.exchange_api_key is not None and settings.exchange_secret is not None  # checked above
        exchange = build_exchange(settings)
        exchange.apiKey = settings.exchange_api_key.get_secret_value()
        exchange.secret = settings.exchange_secret.get_secret_value()
        config = PaperAccountConfig.from_settings(settings)
        store = ExecutionStore.open(settings.store_url)
        risk = RiskManager.from_settings(settings)
        return cls(exchange, store, risk, config, retry_policy=RetryPolicy.from_settings(settings))

    def _safe(self, text: object) -> str:
        """``text`` with the keys removed."""
        out = str(text)
        for secret in self._secrets:
            out = out.replace(secret, "***")
        return out

    def book(self, symbol: str) -> Book:
        """The book of ``symbol`` in the live account (:class:`UnknownAccountError` if none)."""
        with self.store.transaction() as connection:
            found = self.store.book(connection, self.account, symbol)
        if found is None:
            raise UnknownAccountError(f"the {self.account} account has no {symbol} book yet")
        return found

    # --- reconciliation -------------------------------------------------------------------------------

    @retry_transient
    def _balance(self) -> dict[str, Any]:
        return self.exchange.fetch_balance()

    @retry_transient
    def _open_orders(self, *, symbol: str) -> list[dict[str, Any]]:
        return self.exchange.fetch_open_orders(symbol)

    @retry_transient
    def _trades(self, *, symbol: str) -> list[dict[str, Any]]:
        return self.exchange.fetch_my_trades(symbol)

    def _base(self, symbol: str) -> str:
        self.exchange.load_markets()
        return str(self.exchange.market(symbol)["base"])

    def reconcile(self, symbol: str, now_ms: int) -> Book:
        """Compare the store with the exchange for ``symbol``; a mismatch halts the book and raises
        :class:`ReconciliationError` saying what differs. Returns the book (opened if new)."""
        with self.store.transaction() as connection:
            account = self.store.open_account(
                connection, self.account, "live", self.config.currency, self.config.starting_equity_quote, now_ms
            )
            book = self.store.open_book(connection, account, symbol, self.config.allocation_quote, now_ms)
            stored_open = {
                o.client_order_id for o in self.store.orders(connection, self.account, symbol, open_only=True)
            }
        if book.halted_reason:
            raise ReconciliationError(f"{symbol} on {self.account} is halted: {book.halted_reason}")
        balance = self._balance()
        on_exchange = {o.get("clientOrderId") for o in self._open_orders(symbol=symbol)}
        held = float(balance.get("total", {}).get(self._base(symbol)) or 0.0)
        problems = []
        if stored_open - on_exchange:
            problems.append(f"orders open in the store but not on the exchange: {sorted(stored_open - on_exchange)}")
        unknown = {cid for cid in on_exchange if cid and cid.startswith("hu")} - stored_open
        if unknown:
            problems.append(f"Huracan orders open on the exchange the store does not know: {sorted(unknown)}")
        if held + 1e-12 < book.position_base * (1 - 1e-9):
            problems.append(f"the book holds {book.position_base:.8g} {self._base(symbol)}, the exchange {held:.8g}")
        if problems:
            reason = "; ".join(problems)
            with self.store.transaction() as connection:
                self.store.save_book(connection, replace(book, halted_reason=reason, updated_ms=now_ms))
            raise ReconciliationError(f"{symbol} on {self.account} halted: {reason}")
        return book

    # --- orders ---------------------------------------------------------------------------------------

    def order(
        self, symbol: str, side: Side, quote_amount: float, last: Bar, close_ms: int, now_ms: int, who: str
    ) -> Placed:
        """A manual market order for ``quote_amount`` of quote, priced for the risk manager at the last closed
        candle ``last`` (closed at ``close_ms``), sent at ``now_ms`` (ms UTC, part of the client id)."""
        book = self.reconcile(symbol, now_ms)
        with self.store.transaction() as connection:
            at_ms = decision_ms(self.store.orders(connection, self.account, symbol, limit=1), now_ms)
        intent = manual_intent(
            self.account, symbol, side, quote_amount, last.close_quote, book.position_base, at_ms, close_ms, who
        )
        with self.store.transaction() as connection:
            account = self.store.account(connection, self.account)
            assert account is not None  # reconcile opened it
            snapshot = self.store.snapshot(connection, account, at_ms, {symbol: (last.close_quote, close_ms)})
        decision = self.risk.check(intent, snapshot)
        order = manual_order(intent, decision, OrderStatus.SUBMITTED, None)
        if decision.passed:
            amount, problem = self._filtered(symbol, decision.approved_qty_base, last.close_quote)
            if problem:
                order = replace(order, status=OrderStatus.REJECTED, reason=problem)
            else:
                order = replace(order, qty_base=amount)
        with self.store.transaction() as connection:
            self.store.record_order(connection, order)
        if order.status is not OrderStatus.SUBMITTED:
            return Placed(order, decision)
        try:
            answer = self._send(symbol, order)
        except _Rejected as exc:
            rejected = transition(order, OrderStatus.REJECTED, reason=str(exc), updated_ms=at_ms)
            with self.store.transaction() as connection:
                self.store.save_order(connection, rejected)
            return Placed(rejected, decision)
        done, fill = self._settle(symbol, order, answer, book, last.close_quote)
        return Placed(done, decision, fill)

    def _filtered(self, symbol: str, qty: float, price: float) -> tuple[float, str]:
        """The quantity rounded to the market's step, or why the exchange's filters refuse it."""
        import ccxt

        self.exchange.load_markets()
        market = self.exchange.market(symbol)
        try:
            amount = float(self.exchange.amount_to_precision(symbol, qty))
        except ccxt.BaseError as exc:  # e.g. a quantity that rounds to nothing at the lot step
            return 0.0, f"lot size: {qty:.8g} cannot be sent ({self._safe(exc)})"
        limits = market.get("limits", {})
        low = (limits.get("amount") or {}).get("min")
        if low is not None and amount < float(low):
            return amount, f"lot size: {amount:.8g} is below the exchange's minimum quantity {low}"
        min_cost = (limits.get("cost") or {}).get("min")
        if min_cost is not None and amount * price < float(min_cost):
            return amount, f"notional: {amount * price:,.2f} is below the exchange's minimum {min_cost}"
        return amount, ""

    def _send(self, symbol: str, order: Order) -> dict[str, Any]:
        """Send ``order`` once; after a failure that may have reached the exchange, find it before sending again."""
        import ccxt

        params = {"clientOrderId": order.client_order_id}
        for attempt in range(self.resends + 1):
            try:
                return self.exchange.create_order(symbol, "market", order.side.value, order.qty_base, None, params)
            except ccxt.ExchangeError as exc:  # an answer: the exchange refused it (funds, filters, key, ...)
                raise _Rejected(f"the exchange rejected the order: {self._safe(exc)}") from None
            except ccxt.OperationFailed as exc:
                log.warning("order %s: %s; looking it up before anything else", order.client_order_id, self._safe(exc))
                found = self._find(symbol, order)
                if found is not None:
                    return found
                if attempt < self.resends:
                    log.warning(
                        "order %s is not on the exchange: sending it again (same client id)", order.client_order_id
                    )
        raise OrderUncertain(
            f"order {order.client_order_id} could not be sent after {self.resends + 1} attempts; nothing is on the exchange"
        )

    def _find(self, symbol: str, order: Order) -> dict[str, Any] | None:
        """The order on the exchange by its client id: lookups with backoff, then the account's orders."""
        import ccxt

        delay = self.lookup_delay_s
        for _ in range(self.lookups):
            try:
                return self.exchange.fetch_order(None, symbol, {"clientOrderId": order.client_order_id})
            except ccxt.OrderNotFound:
                pass
            except ccxt.OperationFailed as exc:
                log.warning("lookup of %s failed: %s", order.client_order_id, self._safe(exc))
            except ccxt.ExchangeError as exc:
                raise OrderUncertain(
                    f"order {order.client_order_id}: the lookup was refused ({self._safe(exc)}); not sending it again"
                ) from None
            self.sleep(delay)
            delay *= 2
        # "not found" several times is still no proof: the account's own order list decides
        try:
            listed = self.exchange.fetch_orders(symbol, order.decision_ms - 3_600_000)
        except ccxt.BaseError as exc:
            raise OrderUncertain(
                f"order {order.client_order_id}: lookups found nothing and the order list failed ({self._safe(exc)}); "
                "not sending it again"
            ) from None
        for candidate in listed:
            if candidate.get("clientOrderId") == order.client_order_id:
                return candidate
        return None

    def _settle(
        self, symbol: str, order: Order, answer: dict[str, Any], book: Book, ref: float
    ) -> tuple[Order, Fill | None]:
        """Record the exchange's fills of ``order`` (by trade id) and move the book; returns the order as now."""
        trades = [t for t in self._trades(symbol=symbol) if str(t.get("order")) == str(answer["id"])]
        base = self._base(symbol)
        made: Fill | None = None
        filled = cost_total = fee_total = costs = 0.0
        with self.store.transaction() as connection:
            current = self.store.book(connection, self.account, symbol) or book
            for trade in trades:
                qty, price = float(trade["amount"]), float(trade["price"])
                fee = trade.get("fee") or {}
                fee_amount = float(fee.get("cost") or 0.0)
                fee_quote = fee_amount * price if fee.get("currency") == base else fee_amount
                fill = Fill(
                    trade_id=str(trade["id"]),
                    client_order_id=order.client_order_id,
                    account=self.account,
                    symbol=symbol,
                    side=order.side,
                    qty_base=qty,
                    price_quote=price,
                    reference_quote=ref,
                    fee_quote=fee_quote,
                    cost_quote=fee_quote + qty * abs(price - ref),
                    maker=trade.get("takerOrMaker") == "maker",
                    ts_ms=int(trade.get("timestamp") or order.decision_ms),
                )
                if not self.store.record_fill(connection, fill):
                    continue
                received_base = qty - (fee_amount if fee.get("currency") == base else 0.0)
                quote_fee = 0.0 if fee.get("currency") == base else fee_amount
                if order.side is Side.BUY:
                    cash, position = current.cash_quote - qty * price - quote_fee, current.position_base + received_base
                else:
                    cash, position = current.cash_quote + qty * price - quote_fee, max(current.position_base - qty, 0.0)
                current = current.after_fill(fill, cash, position)
                filled += qty
                cost_total += qty * price
                fee_total += fee_quote
                costs += fill.cost_quote
                made = fill
            self.store.save_book(connection, current)
            status = OrderStatus.FILLED if answer.get("status") == "closed" else OrderStatus.PARTIALLY_FILLED
            if answer.get("status") == "canceled":
                status = OrderStatus.CANCELED
            done = transition(
                order,
                status,
                exchange_order_id=str(answer["id"]),
                filled_base=filled,
                avg_price_quote=cost_total / filled if filled else 0.0,
                fee_quote=order.fee_quote + fee_total,
                cost_quote=order.cost_quote + costs,
                updated_ms=order.decision_ms,
            )
            self.store.save_order(connection, done)
        return done, made


class _Rejected(Exception):
    """The exchange answered with a rejection (its reason is the message)."""

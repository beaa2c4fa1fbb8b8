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

import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from huracan.errors import HuracanError, ReconciliationError
from huracan.execution.manual import decision_ms, manual_intent, manual_order, reasons_text
from huracan.execution.orders import Fill, Order, OrderKind, OrderStatus, client_order_id, transition
from huracan.execution.paper import Bar, PaperAccountConfig, Placed
from huracan.execution.store import Book, ExecutionStore, UnknownAccountError
from huracan.market.retry import RetryPolicy, retry_transient
from huracan.risk.intent import OrderIntent, Side
from huracan.trading.costs import BUY, CostModel
from huracan.trading.execution_policy import ExecutionKind, ExecutionPolicy, Fallback, place

if TYPE_CHECKING:
    import ccxt

    from huracan.config import Settings
    from huracan.risk.manager import RiskManager
    from huracan.risk.state import RiskState

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
    :param policy: how model orders execute (:meth:`decide`, :meth:`settle`): ``taker`` sends a market
        order at once; ``maker_first`` a post-only limit at the best bid (buy) or ask (sell) of the order
        book, re-priced at each :meth:`settle` (cancel, then the next attempt's client id) up to
        ``max_reprices`` times, then taken (market) or dropped per ``fallback``.
    :param costs: the cost model the policy sizes with (the account is sized as the paper broker's).
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
        policy: ExecutionPolicy | None = None,
        costs: CostModel | None = None,
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
        self.policy = ExecutionPolicy() if policy is None else policy
        self.costs = CostModel() if costs is None else costs
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
        policy = ExecutionPolicy.from_settings(settings)
        return cls(exchange, store, risk, config, retry_policy=RetryPolicy.from_settings(settings), policy=policy)

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
        """Send ``order`` once (a market order, or a post-only limit at ``order.limit_quote``, which Binance
        takes as ``LIMIT_MAKER``); after a failure that may have reached the exchange, find it before sending
        again."""
        import ccxt

        params: dict[str, Any] = {"clientOrderId": order.client_order_id}
        kind, price = "market", None
        if order.kind is OrderKind.LIMIT_MAKER:
            kind, price = "limit", order.limit_quote
            params["postOnly"] = True
        for attempt in range(self.resends + 1):
            try:
                return self.exchange.create_order(symbol, kind, order.side.value, order.qty_base, price, params)
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

    # --- model orders (the same calls as PaperBroker's, so the live step drives either) ---------------

    def open_book(self, symbol: str, now_ms: int) -> Book:
        """The book of ``symbol``, reconciled with the exchange (opened if new)."""
        return self.reconcile(symbol, now_ms)

    def observe(self, symbol: str, close_quote: float, close_ms: int) -> RiskState:
        """Show the risk manager the account with ``symbol`` marked at ``close_quote`` (quote) at ``close_ms``."""
        with self.store.transaction() as connection:
            account = self.store.account(connection, self.account)
            if account is None:
                raise UnknownAccountError(f"the {self.account} account is not open yet")
            snapshot = self.store.snapshot(connection, account, close_ms, {symbol: (close_quote, close_ms)})
        return self.risk.observe(snapshot)

    def _best(self, symbol: str, side: Side) -> float:
        """The best price on ``side`` in the exchange's order book: the bid for a buy, the ask for a sell."""
        top = self.exchange.fetch_order_book(symbol, 5)
        levels = top["bids"] if side is Side.BUY else top["asks"]
        if not levels:
            raise OrderUncertain(f"{symbol}: the exchange's order book has no {'bids' if side is Side.BUY else 'asks'}")
        return float(self.exchange.price_to_precision(symbol, float(levels[0][0])))

    def _submit(self, symbol: str, order: Order, book: Book, ref: float) -> Order:
        """Record ``order`` as submitted, send it, and record what came back (fills by trade id)."""
        with self.store.transaction() as connection:
            self.store.record_order(connection, order)
        try:
            answer = self._send(symbol, order)
        except _Rejected as exc:
            rejected = transition(order, OrderStatus.REJECTED, reason=str(exc), updated_ms=order.updated_ms)
            with self.store.transaction() as connection:
                self.store.save_order(connection, rejected)
            return rejected
        return self._absorb(symbol, order, answer, book, ref)

    def _absorb(self, symbol: str, order: Order, answer: dict[str, Any], book: Book, ref: float) -> Order:
        """The exchange's answer about ``order``: fills recorded if it traded, else accepted and resting."""
        if answer.get("status") in ("closed", "canceled") or float(answer.get("filled") or 0.0) > 0.0:
            return self._settle(symbol, order, answer, book, ref)[0]
        if order.status is OrderStatus.ACCEPTED:
            return order
        accepted = transition(order, OrderStatus.ACCEPTED, exchange_order_id=str(answer["id"]))
        with self.store.transaction() as connection:
            self.store.save_order(connection, accepted)
        return accepted

    def _cancel(self, symbol: str, order: Order, reason: str, now_ms: int) -> Order:
        """Cancel ``order`` on the exchange; a fill that raced the cancel is recorded instead."""
        import ccxt

        with contextlib.suppress(ccxt.OrderNotFound):  # already done there: its final state is read below
            self.exchange.cancel_order(order.exchange_order_id, symbol)
        answer = self.exchange.fetch_order(order.exchange_order_id, symbol)
        if float(answer.get("filled") or 0.0) > 0.0:
            return self._settle(symbol, order, answer, self.book(symbol), order.limit_quote or 0.0)[0]
        canceled = transition(order, OrderStatus.CANCELED, reason=reason, updated_ms=now_ms)
        with self.store.transaction() as connection:
            self.store.save_order(connection, canceled)
        return canceled

    def decide(
        self, symbol: str, target_frac: float, close_quote: float, decision_ms: int, data_close_ms: int, source: str
    ) -> Placed:
        """A model's target exposure (fraction of the book's equity) for ``symbol``, decided at the close
        ``decision_ms`` (ms UTC) at ``close_quote``: what is still working is canceled, the order to the target
        is risk-checked, filtered and sent (``taker``: a market order now; ``maker_first``: a post-only limit
        at the book's best price on its side, left resting for :meth:`settle`)."""
        if not 0.0 <= target_frac <= 1.0:
            raise HuracanError(f"target exposure must be a fraction in [0, 1], got {target_frac}")
        book = self.reconcile(symbol, decision_ms)
        with self.store.transaction() as connection:
            working = self.store.orders(connection, self.account, symbol, open_only=True)
        for order in working:
            if order.decision_ms < decision_ms and order.exchange_order_id is not None:
                self._cancel(symbol, order, "replaced by a new decision", decision_ms)
        book = self.book(symbol)
        with self.store.transaction() as connection:
            self.store.save_book(connection, replace(book, target_frac=target_frac))
            account = self.store.account(connection, self.account)
            assert account is not None  # reconcile opened it
            snapshot = self.store.snapshot(connection, account, decision_ms, {symbol: (close_quote, data_close_ms)})
        planned = place(self.policy, self.costs, book.cash_quote, book.position_base, target_frac, close_quote)
        equity = book.cash_quote + book.position_base * close_quote
        qty = abs(target_frac * equity / close_quote - book.position_base)
        if planned is None or planned.side == 0 or qty <= 0.0:
            return Placed(None, None)
        side = Side.BUY if planned.side == BUY else Side.SELL
        intent = OrderIntent(self.account, symbol, side, qty, close_quote, decision_ms, data_close_ms, source)
        decision = self.risk.check(intent, snapshot)
        maker = self.policy.kind is ExecutionKind.MAKER_FIRST
        order = Order(
            client_order_id=client_order_id(self.account, symbol, decision_ms, side),
            account=self.account,
            symbol=symbol,
            side=side,
            kind=OrderKind.LIMIT_MAKER if maker else OrderKind.MARKET,
            status=OrderStatus.SUBMITTED if decision.passed else OrderStatus.DENIED,
            decision_ms=decision_ms,
            source=source,
            target_frac=target_frac,
            reason=reasons_text(decision),
            created_ms=decision_ms,
            updated_ms=decision_ms,
        )
        with self.store.transaction() as connection:
            recorded = self.store.order(connection, order.client_order_id)
        if recorded is not None:  # a rerun of the same decision: nothing new is sent
            return Placed(recorded, decision)
        if not decision.passed:
            with self.store.transaction() as connection:
                return Placed(self.store.record_order(connection, order), decision)
        price = self._best(symbol, side) if maker else close_quote
        amount, problem = self._filtered(symbol, decision.approved_qty_base, price)
        order = replace(order, qty_base=amount, limit_quote=price if maker else None)
        if problem:
            with self.store.transaction() as connection:
                return Placed(
                    self.store.record_order(connection, replace(order, status=OrderStatus.REJECTED, reason=problem)),
                    decision,
                )
        done = self._submit(symbol, order, book, price)
        return Placed(done, decision, self._last_fill(done))

    def _last_fill(self, order: Order) -> Fill | None:
        with self.store.transaction() as connection:
            fills = self.store.fills(connection, self.account, order.symbol)
        mine = [f for f in fills if f.client_order_id == order.client_order_id]
        return mine[-1] if mine else None

    def settle(self, symbol: str, bar: Bar, prev_volume_base: float, close_ms: int) -> list[Fill]:
        """At the close of ``bar`` (``close_ms``, ms UTC): record what each resting order of ``symbol`` filled;
        a ``maker_first`` limit still unfilled is canceled and sent again at the book's best price under the
        next attempt's client id, up to ``max_reprices`` times, then taken (market) or dropped per the
        fallback; the book is marked at the close. ``prev_volume_base`` is unused (the exchange prices
        its own slippage). Returns the fills recorded."""
        del prev_volume_base
        made: list[Fill] = []
        book = self.book(symbol)
        with self.store.transaction() as connection:
            working = self.store.orders(connection, self.account, symbol, open_only=True)
        for order in working:
            if order.exchange_order_id is None:
                continue  # never acknowledged: reconciliation at the next call decides
            answer = self.exchange.fetch_order(order.exchange_order_id, symbol)
            if answer.get("status") in ("closed", "canceled") or float(answer.get("filled") or 0.0) > 0.0:
                done = self._absorb(symbol, order, answer, book, order.limit_quote or bar.close_quote)
                fill = self._last_fill(done)
                if fill is not None:
                    made.append(fill)
                if done.status is not OrderStatus.PARTIALLY_FILLED:
                    continue
            if order.kind is not OrderKind.LIMIT_MAKER:
                continue
            canceled = self._cancel(symbol, order, "re-priced", close_ms)
            if canceled.status is not OrderStatus.CANCELED:
                fill = self._last_fill(canceled)
                if fill is not None:
                    made.append(fill)
                continue
            attempt = order.reprices + 1
            remaining_base = (canceled.qty_base or 0.0) - canceled.filled_base  # a partial fill keeps its part
            if remaining_base <= 0.0:
                continue
            if order.reprices < self.policy.max_reprices:
                kind, price = OrderKind.LIMIT_MAKER, self._best(symbol, order.side)
            elif self.policy.fallback is Fallback.TAKE:
                kind, price = OrderKind.MARKET, None
            else:
                with self.store.transaction() as connection:
                    self.store.save_order(
                        connection, replace(canceled, reason="skipped: not filled after the last re-price")
                    )
                continue
            again = replace(
                order,
                client_order_id=client_order_id(self.account, symbol, order.decision_ms, order.side, attempt),
                kind=kind,
                status=OrderStatus.SUBMITTED,
                qty_base=remaining_base,
                limit_quote=price,
                reprices=attempt if kind is OrderKind.LIMIT_MAKER else order.reprices,
                exchange_order_id=None,
                filled_base=0.0,
                fee_quote=0.0,
                cost_quote=0.0,
                created_ms=close_ms,
                updated_ms=close_ms,
            )
            book = self.book(symbol)
            done = self._submit(symbol, again, book, price or bar.close_quote)
            fill = self._last_fill(done)
            if fill is not None and done.status is not OrderStatus.ACCEPTED:
                made.append(fill)
        book = self.book(symbol)
        with self.store.transaction() as connection:
            self.store.save_book(connection, replace(book, mark_quote=bar.close_quote, mark_ms=close_ms))
        return made


class _Rejected(Exception):
    """The exchange answered with a rejection (its reason is the message)."""

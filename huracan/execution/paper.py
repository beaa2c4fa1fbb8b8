"""The paper broker: orders pass the risk manager, then fill against candles exactly as the backtester fills.

Each account (``paper`` by default, ``shadow:...`` for a challenger) holds one *book* per symbol, opened with
an allocation of the account's cash (default: the risk manager's position limit). A model's target
exposure applies to its book, not to the whole account, as the trading env's target applies to its
equity. Two calls drive it, in this order at every candle close:

1. :meth:`PaperBroker.settle` with the candle that just closed: every working order of the symbol goes
   through :func:`huracan.trading.execution_policy.advance` for that candle (a market order fills at its
   open, a maker order at its limit if the candle traded through it, or is re-priced, taken or skipped),
   and the book is marked at the close;
2. :meth:`PaperBroker.decide` with the model's new target, when it changed: the order that takes the book
   there is checked by the risk manager (sized at the close, the price the decision saw) and, approved or
   resized, works from the next candle on. An approved order is sized at its fill as the env sizes it; a
   resized one trades at most the approved quantity.

So replaying a level path candle by candle gives the backtester's fills, cash, position and equity bit for
bit while the risk limits do not bind (``tests/execution/test_paper.py``). A manual order
(:meth:`PaperBroker.order`) fills at once as a market order at the last close, like a forced entry.

Every call is one transaction: the order, its fill, the book and the risk manager's record commit
together; inside :meth:`PaperBroker.session` all the calls of a candle close share one. A call repeated with the same decision (a retried task) finds the order by its deterministic
client order id and changes nothing.

Units: quote currency (``*_quote``), base asset (``*_base``), ms UTC (``*_ms``), fractions (``*_frac``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import Connection

from huracan.data.transactions import unit_of_work
from huracan.errors import HuracanError
from huracan.execution.manual import decision_ms, manual_intent, manual_order, reasons_text
from huracan.execution.orders import Fill, Order, OrderKind, OrderStatus, client_order_id, transition
from huracan.execution.store import Account, Book, ExecutionStore
from huracan.risk.decision import RiskDecision, Verdict
from huracan.risk.intent import OrderIntent, Side
from huracan.risk.manager import PAPER_ACCOUNT
from huracan.risk.snapshot import AccountSnapshot
from huracan.risk.state import RiskState
from huracan.trading.costs import BUY, SELL, CostModel
from huracan.trading.execution_policy import Candle, ExecutionPolicy, WorkingOrder, advance, place

if TYPE_CHECKING:
    import pandas as pd

    from huracan.config import Settings
    from huracan.risk.manager import RiskManager

log = logging.getLogger(__name__)


class Bar(NamedTuple):
    """A closed candle of one symbol, as the broker reads it: open time ms UTC, prices quote, volume base."""

    open_ms: int
    open_quote: float
    high_quote: float
    low_quote: float
    close_quote: float
    volume_base: float

    @classmethod
    def of_frame(cls, candles: pd.DataFrame, row: int) -> Bar:
        """Row ``row`` (positional, negative counts from the end) of a candle frame."""
        values = candles.iloc[row]
        open_ms = int(candles.index[row].value // 1_000_000)
        return cls(
            open_ms,
            float(values.open),
            float(values.high),
            float(values.low),
            float(values.close),
            float(values.volume),
        )


@dataclass(frozen=True)
class PaperAccountConfig:
    """How new paper accounts and books start.

    :param starting_equity_quote: cash a new account starts with, quote, > 0.
    :param allocation_quote: cash a new book takes from its account, quote, > 0.
    :param currency: the accounts' quote currency.
    :param mode: ``paper`` (shadow accounts are paper accounts too).
    """

    starting_equity_quote: float = 100_000.0
    allocation_quote: float = 5_000.0
    currency: str = "USDT"
    mode: str = "paper"

    @classmethod
    def from_settings(cls, settings: Settings) -> PaperAccountConfig:
        """New accounts with ``HURACAN_PAPER_STARTING_EQUITY_QUOTE`` in ``HURACAN_ACCOUNT_CURRENCY``, new books
        with the position limit (``HURACAN_RISK_MAX_POSITION_QUOTE``) as their allocation."""
        return cls(settings.paper_starting_equity_quote, settings.risk_max_position_quote, settings.account_currency)


class Placed(NamedTuple):
    """What :meth:`PaperBroker.decide` or :meth:`PaperBroker.order` did: the order recorded (``None`` when
    no order was needed), the risk manager's decision (``None`` likewise) and any fill made at once."""

    order: Order | None
    decision: RiskDecision | None
    fill: Fill | None = None


def _side(sign: int) -> Side:
    return Side.BUY if sign == BUY else Side.SELL


def _working(order: Order) -> WorkingOrder:
    """The execution policy's view of a stored order."""
    return WorkingOrder(
        target_frac=1.0 if order.target_frac is None else order.target_frac,
        side=BUY if order.side is Side.BUY else SELL,
        limit_quote=order.limit_quote if order.kind is OrderKind.LIMIT_MAKER else None,
        reprices=order.reprices,
        max_qty_base=order.qty_base,
    )


class PaperBroker:
    """Paper trading for one account.

    :param store: the execution tables.
    :param risk: the risk manager every order passes.
    :param costs: the cost model (the one the model was trained and backtested with).
    :param policy: the execution policy (taker or maker_first).
    :param account: the account id.
    :param config: how a new account and a new book start.
    """

    def __init__(
        self,
        store: ExecutionStore,
        risk: RiskManager,
        costs: CostModel,
        policy: ExecutionPolicy,
        account: str = PAPER_ACCOUNT,
        config: PaperAccountConfig | None = None,
    ) -> None:
        self.store = store
        self.risk = risk
        self.costs = costs
        self.policy = policy
        self.account = account
        self.config = PaperAccountConfig() if config is None else config

    @classmethod
    def from_settings(cls, settings: Settings, account: str = PAPER_ACCOUNT) -> PaperBroker:
        """The paper broker of ``account`` on the configured store and risk limits: Binance spot costs,
        ``HURACAN_EXECUTION*``'s policy, accounts and books as :meth:`PaperAccountConfig.from_settings`."""
        from huracan.risk.manager import RiskManager

        store = ExecutionStore.open(settings.store_url)
        policy = ExecutionPolicy.from_settings(settings)
        config = PaperAccountConfig.from_settings(settings)
        return cls(store, RiskManager.from_settings(settings), CostModel(), policy, account, config)

    # --- state ---------------------------------------------------------------------------------------

    def _account(self, connection: Connection, now_ms: int) -> Account:
        c = self.config
        return self.store.open_account(connection, self.account, c.mode, c.currency, c.starting_equity_quote, now_ms)

    def _book(self, connection: Connection, symbol: str, now_ms: int) -> Book:
        found = self.store.book(connection, self.account, symbol)
        if found is not None:
            return found
        account = self._account(connection, now_ms)
        return self.store.open_book(connection, account, symbol, self.config.allocation_quote, now_ms)

    @contextmanager
    def session(self) -> Iterator[None]:
        """Run the calls made in the block (settle, observe, decide, ...: a whole candle close) in one
        transaction, shared with the risk manager and any store on the same database (a
        :func:`~huracan.data.transactions.unit_of_work`), which reads the account and its books once and
        commits once: all of it or, on an exception, none of it. Stores join it when they are on the same
        engine (:func:`~huracan.data.db.open_engine` keeps one per URL); a risk store on another engine
        gets a unit of its own."""
        with unit_of_work(self.store.engine), unit_of_work(self.risk.store.engine):
            yield

    def snapshot(self, connection: Connection, now_ms: int, marks: dict[str, tuple[float, int]]) -> AccountSnapshot:
        """This account as the risk manager sees it (:meth:`ExecutionStore.snapshot`), opened if new."""
        return self.store.snapshot(connection, self._account(connection, now_ms), now_ms, marks)

    def observe(self, symbol: str, close_quote: float, close_ms: int) -> RiskState:
        """Show the risk manager the account at a candle close without an order (``symbol`` marked at
        ``close_quote``): a new UTC day, the high-water mark, the breaker and the daily limits update."""
        with self.store.transaction() as connection:
            snapshot = self.snapshot(connection, close_ms, {symbol: (close_quote, close_ms)})
        return self.risk.observe(snapshot)

    def recorded_snapshot(self, now_ms: int) -> AccountSnapshot | None:
        """The account at ``now_ms`` with every book at its last mark, or ``None`` if it was never opened
        (reads only: nothing is created)."""
        with self.store.transaction() as connection:
            if self.store.account(connection, self.account) is None:
                return None
            return self.snapshot(connection, now_ms, {})

    def open_book(self, symbol: str, now_ms: int) -> Book:
        """The book of ``symbol``, opened (with its allocation) if this account has none yet."""
        with self.store.transaction() as connection:
            return self._book(connection, symbol, now_ms)

    def book(self, symbol: str) -> Book | None:
        """The book of ``symbol`` in this account, or ``None``."""
        with self.store.transaction() as connection:
            return self.store.book(connection, self.account, symbol)

    # --- a candle closed -----------------------------------------------------------------------------

    def settle(self, symbol: str, bar: Bar, prev_volume_base: float, close_ms: int) -> list[Fill]:
        """Advance every working order of ``symbol`` through ``bar`` (the candle that just closed at
        ``close_ms``; ``prev_volume_base`` the volume of the candle before it, on which a market order's
        slippage is priced) and mark the book at its close. Returns the fills made."""
        made: list[Fill] = []
        with self.store.transaction() as connection:
            book = self.store.book(connection, self.account, symbol)
            if book is None:
                return made
            candle = Candle(bar.open_quote, bar.high_quote, bar.low_quote, bar.close_quote, prev_volume_base)
            for order in reversed(self.store.orders(connection, self.account, symbol, open_only=True)):
                book, fill = self._advance(connection, order, book, candle, close_ms, bar.open_ms)
                if fill is not None:
                    made.append(fill)
            self.store.save_book(connection, replace(book, mark_quote=bar.close_quote, mark_ms=close_ms))
        return made

    def _advance(
        self, connection: Connection, order: Order, book: Book, candle: Candle, close_ms: int, fill_ms: int
    ) -> tuple[Book, Fill | None]:
        if order.updated_ms >= close_ms:  # already advanced through this candle (a rerun)
            return book, None
        adv = advance(self.policy, self.costs, _working(order), book.cash_quote, book.position_base, candle)
        if adv.filled is None:
            nxt = adv.next_order
            if nxt is None:
                reason = "skipped: not filled after the last re-price" if adv.skipped else "on target: nothing to trade"
                self.store.save_order(
                    connection, transition(order, OrderStatus.EXPIRED, reason=reason, updated_ms=close_ms)
                )
            else:
                kind = OrderKind.MARKET if nxt.limit_quote is None else OrderKind.LIMIT_MAKER
                working = replace(
                    order, kind=kind, limit_quote=nxt.limit_quote, reprices=nxt.reprices, updated_ms=close_ms
                )
                self.store.save_order(connection, working)
            return book, None
        qty = abs(adv.position_base - book.position_base)
        maker = adv.filled == "maker"
        fee_frac = self.costs.maker_fee_frac if maker else self.costs.taker_fee_frac
        # the cash moved is qty * price * (1 + fee) for a buy and qty * price * (1 - fee) for a sell
        cash_moved = abs(adv.cash_quote - book.cash_quote)
        price = cash_moved / (qty * (1.0 + fee_frac if order.side is Side.BUY else 1.0 - fee_frac)) if qty else 0.0
        fee = qty * price * fee_frac
        fill = Fill(
            trade_id=f"{order.client_order_id}-1",
            client_order_id=order.client_order_id,
            account=self.account,
            symbol=order.symbol,
            side=order.side,
            qty_base=qty,
            price_quote=price,
            reference_quote=adv.reference_quote,
            fee_quote=fee,
            cost_quote=adv.cost_quote,
            maker=maker,
            ts_ms=fill_ms,
        )
        if not self.store.record_fill(connection, fill):
            return book, None
        filled = transition(
            order,
            OrderStatus.FILLED,
            filled_base=qty,
            avg_price_quote=price,
            fee_quote=fee,
            cost_quote=adv.cost_quote,
            kind=OrderKind.LIMIT_MAKER if maker else OrderKind.MARKET,
            updated_ms=close_ms,
        )
        self.store.save_order(connection, filled)
        return book.after_fill(fill, adv.cash_quote, adv.position_base), fill

    # --- decisions -----------------------------------------------------------------------------------

    def decide(
        self,
        symbol: str,
        target_frac: float,
        close_quote: float,
        decision_ms: int,
        data_close_ms: int,
        source: str,
    ) -> Placed:
        """A model's new target exposure for ``symbol``'s book, decided at the close ``decision_ms`` (ms UTC)
        at price ``close_quote``: any order still working is canceled (replaced), and the order to the
        target, if one is needed, is risk-checked and recorded to work from the next candle on."""
        if not 0.0 <= target_frac <= 1.0:
            raise HuracanError(f"target exposure must be a fraction in [0, 1], got {target_frac}")
        with self.store.transaction() as connection:  # 1: the book, and what the risk manager sees
            book = self._book(connection, symbol, decision_ms)
            snapshot = self.snapshot(connection, decision_ms, {symbol: (close_quote, data_close_ms)})
        planned = place(self.policy, self.costs, book.cash_quote, book.position_base, target_frac, close_quote)
        equity = book.cash_quote + book.position_base * close_quote
        qty = abs(target_frac * equity / close_quote - book.position_base)
        decision = None
        if planned is not None and qty > 0.0:  # 2: the risk manager, in its own transaction
            intent = OrderIntent(
                self.account, symbol, _side(planned.side), qty, close_quote, decision_ms, data_close_ms, source
            )
            decision = self.risk.check(intent, snapshot)
        with self.store.transaction() as connection:  # 3: replace what was working, record the order
            for working in self.store.orders(connection, self.account, symbol, open_only=True):
                if working.decision_ms < decision_ms:
                    replaced = transition(
                        working, OrderStatus.CANCELED, reason="replaced by a new decision", updated_ms=decision_ms
                    )
                    self.store.save_order(connection, replaced)
            current = self.store.book(connection, self.account, symbol) or book
            self.store.save_book(connection, replace(current, target_frac=target_frac))
            if planned is None or decision is None:
                return Placed(None, None)
            side = _side(planned.side)
            order = Order(
                client_order_id=client_order_id(self.account, symbol, decision_ms, side),
                account=self.account,
                symbol=symbol,
                side=side,
                kind=OrderKind.MARKET if planned.limit_quote is None else OrderKind.LIMIT_MAKER,
                status=OrderStatus.ACCEPTED if decision.passed else OrderStatus.DENIED,
                decision_ms=decision_ms,
                source=source,
                target_frac=target_frac,
                qty_base=decision.approved_qty_base if decision.verdict is Verdict.RESIZED else None,
                limit_quote=planned.limit_quote,
                reason=reasons_text(decision),
                created_ms=decision_ms,
                updated_ms=decision_ms,
            )
            return Placed(self.store.record_order(connection, order), decision)

    def order(
        self, symbol: str, side: Side, quote_amount: float, last: Bar, close_ms: int, now_ms: int, who: str
    ) -> Placed:
        """A manual order for ``quote_amount`` of quote (a buy spends it, a sell sells that much of the
        position) on ``symbol``, risk-checked against the last closed candle ``last`` (closed at
        ``close_ms``) and filled at once as a market order at its close (taker costs, slippage on its
        volume). ``now_ms`` is the decision time (the exchange's clock); each manual order is a decision of
        its own, so one at the same ms as the book's latest order is dated 1 ms after it."""
        with self.store.transaction() as connection:
            book = self._book(connection, symbol, now_ms)
            at_ms = decision_ms(self.store.orders(connection, self.account, symbol, limit=1), now_ms)
            snapshot = self.snapshot(connection, at_ms, {symbol: (last.close_quote, close_ms)})
        intent = manual_intent(
            self.account, symbol, side, quote_amount, last.close_quote, book.position_base, at_ms, close_ms, who
        )
        decision = self.risk.check(intent, snapshot)
        target = 1.0 if intent.side is Side.BUY else 0.0  # capped by the quantity: exactly what was approved
        order = replace(manual_order(intent, decision, OrderStatus.ACCEPTED, target), updated_ms=at_ms - 1)
        with self.store.transaction() as connection:
            recorded = self.store.order(connection, order.client_order_id)
            if recorded is not None:  # the same order again (a retry): nothing new
                return Placed(recorded, decision)
            self.store.record_order(connection, order)
            if not decision.passed:
                return Placed(order, decision)
            book = self.store.book(connection, self.account, symbol) or book
            at_close = Candle(last.close_quote, last.close_quote, last.close_quote, last.close_quote, last.volume_base)
            book, fill = self._advance(connection, order, book, at_close, at_ms, at_ms)
            self.store.save_book(connection, replace(book, mark_quote=last.close_quote, mark_ms=close_ms))
            return Placed(self.store.order(connection, order.client_order_id), decision, fill)

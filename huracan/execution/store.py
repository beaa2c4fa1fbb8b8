"""Accounts, books, orders and fills in the store (SQLAlchemy Core, SQLite or PostgreSQL).

Everything a broker changes for one order event (the order's status, a fill, the book's cash and
position) is written in one transaction (:meth:`ExecutionStore.transaction`), so a failure or a kill
leaves the store as it was before the event. Orders are keyed by their deterministic client order id and
fills by their trade id: recording the same order or fill twice changes nothing.

Units: money in quote currency (``*_quote``), quantities in base (``*_base``), times ms UTC (``*_ms``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, Engine, and_, insert, select, update

from huracan.data.db import open_engine
from huracan.data.schema import accounts, books, fills, orders
from huracan.errors import HuracanError
from huracan.execution.orders import Fill, Order, OrderKind, OrderStatus
from huracan.risk.intent import Side
from huracan.risk.snapshot import AccountSnapshot, PositionMark


class UnknownAccountError(HuracanError):
    """An account or a book that the store does not hold."""


@dataclass(frozen=True)
class Account:
    """A trading account.

    :param account: its id (``paper``, ``live``, ``shadow:...``).
    :param mode: ``paper`` or ``live``.
    :param currency: the quote currency its money is counted in (e.g. USDT).
    :param starting_equity_quote: what it started with.
    :param cash_quote: cash not allocated to any book.
    :param created_ms: when it was opened, ms UTC.
    """

    account: str
    mode: str
    currency: str
    starting_equity_quote: float
    cash_quote: float
    created_ms: int


@dataclass(frozen=True)
class Book:
    """One symbol's part of an account: the cash allocated to it and the position it holds.

    :param allocation_quote: cash given to the book when it opened.
    :param cash_quote: the book's cash now.
    :param position_base: base held (spot, long only: >= 0).
    :param cost_basis_quote: quote paid for the base held, buy fees included; ``avg_entry_quote`` divides
        it by the position.
    :param realised_pnl_quote: profit of the base sold so far (proceeds after fees minus its cost basis).
    :param costs_quote: fees, spread and slippage paid so far.
    :param mark_quote: the last price it was marked at, or ``None``.
    :param mark_ms: when, ms UTC.
    :param target_frac: the exposure a model last asked for (its level), a fraction of the book's equity;
        ``None`` before any model decision.
    :param halted_reason: why the book may not trade (the exchange and the store disagreed), or ``None``.
    """

    account: str
    symbol: str
    allocation_quote: float
    cash_quote: float
    position_base: float
    cost_basis_quote: float
    realised_pnl_quote: float
    costs_quote: float
    mark_quote: float | None
    mark_ms: int | None
    target_frac: float | None
    halted_reason: str | None
    updated_ms: int

    @property
    def avg_entry_quote(self) -> float | None:
        """Average entry price of the base held (fees included), quote per base; ``None`` when flat."""
        return self.cost_basis_quote / self.position_base if self.position_base > 0 else None

    def notional_quote(self, price_quote: float | None = None) -> float:
        """The position's value at ``price_quote`` (default: the last mark; 0 without one)."""
        price = self.mark_quote if price_quote is None else price_quote
        return 0.0 if price is None else self.position_base * price

    def equity_quote(self, price_quote: float | None = None) -> float:
        """Cash plus the position's value at ``price_quote`` (default: the last mark)."""
        return self.cash_quote + self.notional_quote(price_quote)

    def unrealised_pnl_quote(self, price_quote: float | None = None) -> float:
        """Value of the position at ``price_quote`` minus its cost basis; 0 when flat."""
        return self.notional_quote(price_quote) - self.cost_basis_quote if self.position_base > 0 else 0.0

    def after_fill(self, fill: Fill, cash_quote: float, position_base: float) -> Book:
        """This book after ``fill`` left it with ``cash_quote`` and ``position_base`` (the accounting
        core's numbers): the cost basis grows by what a buy paid and shrinks pro rata on a sell, whose
        proceeds minus that share are realised."""
        if fill.side is Side.BUY:
            basis = self.cost_basis_quote + (self.cash_quote - cash_quote)
            realised = self.realised_pnl_quote
        else:
            share = self.cost_basis_quote * (fill.qty_base / self.position_base) if self.position_base > 0 else 0.0
            basis = 0.0 if position_base <= 0.0 else self.cost_basis_quote - share
            realised = self.realised_pnl_quote + (cash_quote - self.cash_quote) - share
        return replace(
            self,
            cash_quote=cash_quote,
            position_base=position_base,
            cost_basis_quote=basis,
            realised_pnl_quote=realised,
            costs_quote=self.costs_quote + fill.cost_quote,
            mark_quote=fill.price_quote if self.mark_quote is None else self.mark_quote,
            mark_ms=fill.ts_ms if self.mark_ms is None else self.mark_ms,
            updated_ms=fill.ts_ms,
        )


def _order(row: Any) -> Order:
    values = dict(row._mapping)
    values["side"] = Side(values["side"])
    values["kind"] = OrderKind(values["kind"])
    values["status"] = OrderStatus(values["status"])
    return Order(**values)


def _fill(row: Any) -> Fill:
    values = dict(row._mapping)
    values["side"] = Side(values["side"])
    return Fill(**values)


def _values(record: Any) -> dict[str, Any]:
    return {name: getattr(value, "value", value) for name, value in record.__dict__.items()}


class ExecutionStore:
    """The execution tables of one store.

    :param engine: an engine whose database is migrated (:func:`huracan.data.db.open_engine`).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> ExecutionStore:
        """The store at SQLAlchemy ``url``, migrated to the latest schema."""
        return cls(open_engine(url))

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: everything written through the connection commits together or not at all."""
        with self.engine.begin() as connection:
            yield connection

    # --- accounts and books -------------------------------------------------------------------------

    def open_account(
        self, connection: Connection, account: str, mode: str, currency: str, starting_equity_quote: float, now_ms: int
    ) -> Account:
        """The account ``account``, opened with ``starting_equity_quote`` of cash if it does not exist yet
        (an existing account keeps its own state: settings apply to new accounts only)."""
        found = self.account(connection, account)
        if found is not None:
            return found
        if not starting_equity_quote > 0:
            raise ValueError(f"starting equity must be > 0 quote, got {starting_equity_quote}")
        row = Account(account, mode, currency, float(starting_equity_quote), float(starting_equity_quote), now_ms)
        connection.execute(insert(accounts).values(**_values(row)))
        return row

    def account(self, connection: Connection, account: str) -> Account | None:
        """The account, or ``None``."""
        row = connection.execute(select(accounts).where(accounts.c.account == account)).first()
        return None if row is None else Account(**row._mapping)

    def accounts(self, connection: Connection) -> list[Account]:
        """Every account, by id."""
        return [Account(**row._mapping) for row in connection.execute(select(accounts).order_by(accounts.c.account))]

    def open_book(
        self, connection: Connection, account: Account, symbol: str, allocation_quote: float, now_ms: int
    ) -> Book:
        """The book of ``symbol`` in ``account``; a new one takes ``allocation_quote`` (at most the account's
        unallocated cash) from the account's cash."""
        found = self.book(connection, account.account, symbol)
        if found is not None:
            return found
        fresh = self.account(connection, account.account) or account
        allocation = min(float(allocation_quote), fresh.cash_quote)
        if not allocation > 0:
            raise UnknownAccountError(
                f"account {account.account!r} has no unallocated cash left for a {symbol} book "
                f"({fresh.cash_quote:.2f} {fresh.currency})"
            )
        book = Book(account.account, symbol, allocation, allocation, 0.0, 0.0, 0.0, 0.0, None, None, None, None, now_ms)
        connection.execute(insert(books).values(**_values(book)))
        connection.execute(
            update(accounts)
            .where(accounts.c.account == account.account)
            .values(cash_quote=fresh.cash_quote - allocation)
        )
        return book

    def book(self, connection: Connection, account: str, symbol: str) -> Book | None:
        """The book, or ``None``."""
        row = connection.execute(
            select(books).where(and_(books.c.account == account, books.c.symbol == symbol))
        ).first()
        return None if row is None else Book(**row._mapping)

    def books(self, connection: Connection, account: str | None = None) -> list[Book]:
        """Every book (of ``account``), by account and symbol."""
        query = select(books).order_by(books.c.account, books.c.symbol)
        if account is not None:
            query = query.where(books.c.account == account)
        return [Book(**row._mapping) for row in connection.execute(query)]

    def save_book(self, connection: Connection, book: Book) -> None:
        """Write ``book``'s state."""
        values = _values(book)
        connection.execute(
            update(books).where(and_(books.c.account == book.account, books.c.symbol == book.symbol)).values(**values)
        )

    def snapshot(
        self, connection: Connection, account: Account, now_ms: int, marks: Mapping[str, tuple[float, int]]
    ) -> AccountSnapshot:
        """``account`` as the risk manager sees it: all its cash (unallocated and in books) and each book's
        position at its mark; ``marks`` (symbol -> (price quote, close time ms UTC)) override stored marks
        and add the symbols they name. A book never marked is left out."""
        books = self.books(connection, account.account)
        positions: dict[str, PositionMark] = {}
        for book in books:
            if book.symbol in marks:
                price, close_ms = marks[book.symbol]
            elif book.mark_quote is not None and book.mark_ms is not None:
                price, close_ms = book.mark_quote, book.mark_ms
            else:
                continue
            positions[book.symbol] = PositionMark(book.position_base, price, close_ms)
        for symbol, (price, close_ms) in marks.items():
            positions.setdefault(symbol, PositionMark(0.0, price, close_ms))
        cash = account.cash_quote + sum(book.cash_quote for book in books)
        return AccountSnapshot(account.account, now_ms, cash, positions)

    def mark(self, connection: Connection, account: str, symbol: str, price_quote: float, ts_ms: int) -> None:
        """Record the latest price of ``symbol`` for ``account``'s book."""
        connection.execute(
            update(books)
            .where(and_(books.c.account == account, books.c.symbol == symbol))
            .values(mark_quote=float(price_quote), mark_ms=int(ts_ms))
        )

    # --- orders and fills ---------------------------------------------------------------------------

    def order(self, connection: Connection, client_order_id: str) -> Order | None:
        """The order with this client order id, or ``None``."""
        row = connection.execute(select(orders).where(orders.c.client_order_id == client_order_id)).first()
        return None if row is None else _order(row)

    def record_order(self, connection: Connection, order: Order) -> Order:
        """Insert ``order`` unless its client order id is already recorded; returns what the store holds
        (the earlier record on a rerun: the same decision is never recorded twice)."""
        found = self.order(connection, order.client_order_id)
        if found is not None:
            return found
        connection.execute(insert(orders).values(**_values(order)))
        return order

    def save_order(self, connection: Connection, order: Order) -> None:
        """Write ``order``'s current state (it must be recorded)."""
        connection.execute(
            update(orders).where(orders.c.client_order_id == order.client_order_id).values(**_values(order))
        )

    def orders(
        self,
        connection: Connection,
        account: str | None = None,
        symbol: str | None = None,
        open_only: bool = False,
        limit: int | None = None,
    ) -> list[Order]:
        """Orders, newest decision first (filtered by account, symbol, open ones only)."""
        query = select(orders).order_by(orders.c.decision_ms.desc(), orders.c.created_ms.desc())
        if account is not None:
            query = query.where(orders.c.account == account)
        if symbol is not None:
            query = query.where(orders.c.symbol == symbol)
        if open_only:
            query = query.where(orders.c.status.in_([s.value for s in OrderStatus if s.is_open]))
        if limit is not None:
            query = query.limit(limit)
        return [_order(row) for row in connection.execute(query)]

    def has_fill(self, connection: Connection, trade_id: str) -> bool:
        """Whether a fill with this trade id is recorded."""
        return connection.execute(select(fills.c.trade_id).where(fills.c.trade_id == trade_id)).first() is not None

    def record_fill(self, connection: Connection, fill: Fill) -> bool:
        """Insert ``fill``; False (and nothing written) when its trade id is already recorded."""
        if self.has_fill(connection, fill.trade_id):
            return False
        connection.execute(insert(fills).values(**_values(fill)))
        return True

    def fills(self, connection: Connection, account: str | None = None, symbol: str | None = None) -> list[Fill]:
        """Fills in time order (filtered by account and symbol)."""
        query = select(fills).order_by(fills.c.ts_ms, fills.c.trade_id)
        if account is not None:
            query = query.where(fills.c.account == account)
        if symbol is not None:
            query = query.where(fills.c.symbol == symbol)
        return [_fill(row) for row in connection.execute(query)]

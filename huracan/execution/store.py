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

from sqlalchemy import Connection, Engine, and_, bindparam, insert, select, update

from huracan.data.db import open_engine
from huracan.data.schema import accounts, books, fills, orders
from huracan.data.transactions import current_unit, insert_locked, insert_once, transaction
from huracan.errors import HuracanError, StoreError
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


_OPEN_STATUSES = [status.value for status in OrderStatus if status.is_open]

# statements built once, executed with a dict of values (building one per call costs more than the database)
_ACCOUNT = select(accounts).where(accounts.c.account == bindparam("account"))
_ACCOUNT_CASH = update(accounts).where(accounts.c.account == bindparam("b_account"))
_BOOKS_OF = select(books).where(books.c.account == bindparam("account")).order_by(books.c.symbol)
_SAVE_BOOK = update(books).where(
    and_(books.c.account == bindparam("b_account"), books.c.symbol == bindparam("b_symbol"))
)
_ORDER = select(orders).where(orders.c.client_order_id == bindparam("b_id"))
_SAVE_ORDER = update(orders).where(orders.c.client_order_id == bindparam("b_id"))
_NEWEST_FIRST = (orders.c.decision_ms.desc(), orders.c.created_ms.desc())
_OPEN_ORDERS = (
    select(orders)
    .where(
        and_(
            orders.c.account == bindparam("account"),
            orders.c.symbol == bindparam("symbol"),
            orders.c.status.in_(_OPEN_STATUSES),
        )
    )
    .order_by(*_NEWEST_FIRST)
)


def _newest_first(order: Order) -> tuple[int, int]:
    return order.decision_ms, order.created_ms


class ExecutionStore:
    """The execution tables of one store.

    Inside a :func:`~huracan.data.transactions.unit_of_work` on its engine, every call on the unit's
    connection keeps the accounts, books and open orders it read in the unit's cache (updated by each
    write), so a broker's calls at one candle close read each of them once.

    :param engine: an engine whose database is migrated (:func:`huracan.data.db.open_engine`).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._record_order = insert_once(engine, orders, "client_order_id")
        self._record_fill = insert_once(engine, fills, "trade_id")
        self._lock_account = insert_locked(engine, accounts, "account")

    @classmethod
    def open(cls, url: str) -> ExecutionStore:
        """The store at SQLAlchemy ``url``, migrated to the latest schema."""
        return cls(open_engine(url))

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: everything written through the connection commits together or not at all (inside
        a unit of work on this store's engine: the unit's transaction)."""
        with transaction(self.engine) as connection:
            yield connection

    @staticmethod
    def _cache(connection: Connection) -> dict[Any, Any] | None:
        """The cache of the unit of work ``connection`` belongs to, or ``None`` outside one."""
        unit = current_unit(connection.engine)
        return unit.cache if unit is not None and unit.connection is connection else None

    # --- accounts and books -------------------------------------------------------------------------

    def open_account(
        self, connection: Connection, account: str, mode: str, currency: str, starting_equity_quote: float, now_ms: int
    ) -> Account:
        """The account ``account``, opened with ``starting_equity_quote`` of cash if it does not exist yet
        (an existing account keeps its own state: settings apply to new accounts only). Two processes
        opening the same new account at once get the one account."""
        found = self.account(connection, account)
        if found is not None:
            return found
        if not starting_equity_quote > 0:
            raise ValueError(f"starting equity must be > 0 quote, got {starting_equity_quote}")
        equity = float(starting_equity_quote)
        return self._locked(connection, Account(account, mode, currency, equity, equity, now_ms))

    def _locked(self, connection: Connection, account: Account) -> Account:
        """``account`` as committed (created from ``account`` if missing), its row locked until the
        transaction ends: what is read from it is still true when the transaction writes."""
        row = Account(**connection.execute(self._lock_account, _values(account)).mappings().one())
        self._cache_account(connection, row)
        return row

    def account(self, connection: Connection, account: str) -> Account | None:
        """The account, or ``None``."""
        cache = self._cache(connection)
        key = ("execution.account", account)
        if cache is not None and key in cache:
            return cache[key]
        row = connection.execute(_ACCOUNT, {"account": account}).first()
        found = None if row is None else Account(**row._mapping)
        if cache is not None:
            cache[key] = found
        return found

    def _cache_account(self, connection: Connection, account: Account) -> None:
        cache = self._cache(connection)
        if cache is not None:
            cache["execution.account", account.account] = account

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
        # the account's cash read under its lock: two books opened at once never allocate the same cash
        fresh = self._locked(connection, account)
        found = self.book(connection, account.account, symbol)  # opened while this waited for the lock
        if found is not None:
            return found
        allocation = min(float(allocation_quote), fresh.cash_quote)
        if not allocation > 0:
            raise UnknownAccountError(
                f"account {account.account!r} has no unallocated cash left for a {symbol} book "
                f"({fresh.cash_quote:.2f} {fresh.currency})"
            )
        book = Book(account.account, symbol, allocation, allocation, 0.0, 0.0, 0.0, 0.0, None, None, None, None, now_ms)
        connection.execute(insert(books), _values(book))
        left = fresh.cash_quote - allocation
        connection.execute(_ACCOUNT_CASH, {"b_account": account.account, "cash_quote": left})
        self._cache_account(connection, replace(fresh, cash_quote=left))
        self._cached_books(connection, account.account, book)
        return book

    def _books_of(self, connection: Connection, account: str) -> dict[str, Book]:
        """``account``'s books by symbol (from the unit's cache when there is one); not to be changed."""
        cache = self._cache(connection)
        key = ("execution.books", account)
        if cache is not None and key in cache:
            return cache[key]
        found = {row.symbol: Book(**row._mapping) for row in connection.execute(_BOOKS_OF, {"account": account})}
        if cache is not None:
            cache[key] = found
        return found

    def _cached_books(self, connection: Connection, account: str, book: Book) -> None:
        """Keep ``book`` (just written) in the unit's cache of ``account``'s books, if it holds them."""
        cache = self._cache(connection)
        if cache is not None and ("execution.books", account) in cache:
            cache["execution.books", account][book.symbol] = book

    def book(self, connection: Connection, account: str, symbol: str) -> Book | None:
        """The book, or ``None``."""
        return self._books_of(connection, account).get(symbol)

    def books(self, connection: Connection, account: str | None = None) -> list[Book]:
        """Every book (of ``account``), by account and symbol."""
        if account is not None:
            return [book for _, book in sorted(self._books_of(connection, account).items())]
        unit = current_unit(connection.engine)
        if unit is not None:
            unit.flush()  # the deferred writes of books
        query = select(books).order_by(books.c.account, books.c.symbol)
        return [Book(**row._mapping) for row in connection.execute(query)]

    def save_book(self, connection: Connection, book: Book) -> None:
        """Write ``book``'s state (nothing when it is already what the store holds in the unit's cache)."""
        values = {"b_account": book.account, "b_symbol": book.symbol, **_values(book)}
        unit = current_unit(connection.engine)
        held = (
            None
            if unit is None or unit.connection is not connection
            else unit.cache.get(("execution.books", book.account))
        )
        if unit is None or held is None or book.symbol not in held:
            connection.execute(_SAVE_BOOK, values)
            self._cached_books(connection, book.account, book)
        elif held[book.symbol] != book:  # a cached book: its readers read the cache, the row is written at the end
            held[book.symbol] = book
            unit.defer(("execution.book", book.account, book.symbol), _SAVE_BOOK, values)

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
        found = self.book(connection, account, symbol)
        if found is not None:
            self.save_book(connection, replace(found, mark_quote=float(price_quote), mark_ms=int(ts_ms)))

    # --- orders and fills ---------------------------------------------------------------------------

    def order(self, connection: Connection, client_order_id: str) -> Order | None:
        """The order with this client order id, or ``None``."""
        row = connection.execute(_ORDER, {"b_id": client_order_id}).first()
        return None if row is None else _order(row)

    def record_order(self, connection: Connection, order: Order) -> Order:
        """Insert ``order`` unless its client order id is already recorded; returns what the store holds
        (the earlier record on a rerun: the same decision is never recorded twice)."""
        if not connection.execute(self._record_order, _values(order)).rowcount:
            found = self.order(connection, order.client_order_id)
            if found is None:  # the conflict's record is gone: never for a store nothing deletes from
                raise StoreError(f"order {order.client_order_id} was neither recorded nor found")
            return found
        self._cached_order(connection, order)
        return order

    def save_order(self, connection: Connection, order: Order) -> None:
        """Write ``order``'s current state (it must be recorded)."""
        connection.execute(_SAVE_ORDER, {"b_id": order.client_order_id, **_values(order)})
        self._cached_order(connection, order)

    def _cached_order(self, connection: Connection, order: Order) -> None:
        """Keep the unit's cache of ``order``'s symbol's open orders (if it holds them) true after a write."""
        cache = self._cache(connection)
        key = ("execution.open_orders", order.account, order.symbol)
        if cache is None or key not in cache:
            return
        held = [o for o in cache[key] if o.client_order_id != order.client_order_id]
        if order.status.is_open:
            held = sorted([*held, order], key=_newest_first, reverse=True)
        cache[key] = held

    def orders(
        self,
        connection: Connection,
        account: str | None = None,
        symbol: str | None = None,
        open_only: bool = False,
        limit: int | None = None,
    ) -> list[Order]:
        """Orders, newest decision first (filtered by account, symbol, open ones only)."""
        if open_only and account is not None and symbol is not None and limit is None:
            return self._open_orders(connection, account, symbol)
        query = select(orders).order_by(*_NEWEST_FIRST)
        if account is not None:
            query = query.where(orders.c.account == account)
        if symbol is not None:
            query = query.where(orders.c.symbol == symbol)
        if open_only:
            query = query.where(orders.c.status.in_(_OPEN_STATUSES))
        if limit is not None:
            query = query.limit(limit)
        return [_order(row) for row in connection.execute(query)]

    def _open_orders(self, connection: Connection, account: str, symbol: str) -> list[Order]:
        cache = self._cache(connection)
        key = ("execution.open_orders", account, symbol)
        if cache is not None and key in cache:
            return list(cache[key])
        found = [_order(row) for row in connection.execute(_OPEN_ORDERS, {"account": account, "symbol": symbol})]
        if cache is not None:
            cache[key] = found
        return list(found)

    def record_fill(self, connection: Connection, fill: Fill) -> bool:
        """Insert ``fill``; False (and nothing written) when its trade id is already recorded."""
        return bool(connection.execute(self._record_fill, _values(fill)).rowcount)

    def fills(self, connection: Connection, account: str | None = None, symbol: str | None = None) -> list[Fill]:
        """Fills in time order (filtered by account and symbol)."""
        query = select(fills).order_by(fills.c.ts_ms, fills.c.trade_id)
        if account is not None:
            query = query.where(fills.c.account == account)
        if symbol is not None:
            query = query.where(fills.c.symbol == symbol)
        return [_fill(row) for row in connection.execute(query)]

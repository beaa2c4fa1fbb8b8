"""A unit of work: the transactions inside it share its one connection and commit together, once, or not
at all; its deferred writes are executed before it commits and before a read that needs them."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from huracan.data.db import open_engine
from huracan.data.schema import accounts
from huracan.data.transactions import current_unit, insert_once, reading, transaction, unit_of_work
from huracan.execution.store import Account, ExecutionStore


def _account(name: str, cash: float = 100.0) -> Account:
    return Account(name, "paper", "USDT", 100.0, cash, 0)


def _cash(url: str, name: str) -> float | None:
    with open_engine(url).connect() as connection:
        return connection.execute(select(accounts.c.cash_quote).where(accounts.c.account == name)).scalar()


def test_transactions_in_a_unit_share_its_connection_and_commit_once(store_url: str) -> None:
    engine = open_engine(store_url)
    once = insert_once(engine, accounts, "account")
    with unit_of_work(engine) as unit:
        with transaction(engine) as first, transaction(engine) as second:
            assert first is second is unit.connection
            assert first.execute(once, vars(_account("a"))).rowcount == 1
            assert first.execute(once, vars(_account("a", 5.0))).rowcount == 0  # recorded once: nothing written
        with unit_of_work(engine) as inner:
            assert inner is unit  # a unit inside a unit is the outer one
        assert _cash(store_url, "a") is None  # not committed yet (another connection sees nothing)
    assert current_unit(engine) is None
    assert _cash(store_url, "a") == 100.0


def test_a_failure_in_a_unit_rolls_all_of_it_back(store_url: str) -> None:
    engine = open_engine(store_url)
    with pytest.raises(RuntimeError), unit_of_work(engine):
        with transaction(engine) as connection:
            connection.execute(insert_once(engine, accounts, "account"), vars(_account("b")))
        raise RuntimeError("a failed step")
    assert _cash(store_url, "b") is None


def test_deferred_writes_run_before_a_read_and_at_the_end(store_url: str) -> None:
    engine = open_engine(store_url)
    store = ExecutionStore(engine)
    with unit_of_work(engine) as unit, store.transaction() as connection:
        store.open_account(connection, "c", "paper", "USDT", 100.0, 0)
        book = store.open_book(connection, store.account(connection, "c"), "BTC/USDT", 40.0, 0)  # type: ignore[arg-type]
        store.save_book(connection, replace(book, cash_quote=30.0))
        assert unit.deferred  # the cached book's update waits for the end
        assert store.book(connection, "c", "BTC/USDT").cash_quote == 30.0  # type: ignore[union-attr]
        with reading(engine) as read:  # a read through the unit runs the deferred writes first
            assert not unit.deferred
            assert [b.cash_quote for b in store.books(read)] == [30.0]
        store.save_book(connection, book)
    with store.transaction() as connection:
        assert store.book(connection, "c", "BTC/USDT") == book
        assert store.account(connection, "c").cash_quote == 60.0  # type: ignore[union-attr]

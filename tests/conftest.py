"""Shared fixtures: stores on SQLite and PostgreSQL, and settings isolated in a temporary home.

PostgreSQL tests use ``HURACAN_TEST_PG_URL`` (``make test`` and CI set it to the local server). When it
is set, an unreachable server fails those tests; they skip only when it is unset (a bare ``pytest``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from huracan.config import Settings, get_settings
from huracan.data.db import dispose_engines
from huracan.market.emulator import Emulator

PG_URL = os.environ.get("HURACAN_TEST_PG_URL")
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def pg_database_url() -> str:
    """A PostgreSQL database of the test session's own, created if missing."""
    if not PG_URL:
        pytest.skip("HURACAN_TEST_PG_URL is not set; `make test` sets it to the local PostgreSQL")
    url = make_url(PG_URL)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    return PG_URL


@pytest.fixture
def pg_url(pg_database_url: str) -> Iterator[str]:
    """The session's PostgreSQL database, emptied before the test."""
    dispose_engines()
    engine = create_engine(pg_database_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield pg_database_url
    dispose_engines()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        dispose_engines()
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def settings(tmp_path: Path, store_url: str) -> Settings:
    """Settings with a temporary home and the parametrised store, no retry waits beyond 10 ms."""
    return Settings(home=tmp_path / "home", db_url=store_url, retry_base_delay_s=0.001, retry_max_delay_s=0.01)


@pytest.fixture
def shared_data() -> Path:
    """The real Binance candles in ../shared/data; the test skips when they are absent."""
    if not (SHARED_DATA / "binance_BTC-USDT_1d.csv").exists():
        pytest.skip(f"real candles not found at {SHARED_DATA} (only on the development machine)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated MLflow SQLite store, made once per session (migrating takes about a second);
    tests copy it into their own home."""
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Emulator]]:
    """Start an emulator and point the command line's environment at it.

    ``cli_env(clock_ms, seed=11, symbols=..., sim_params=None, store_url=None)`` sets ``HURACAN_HOME``
    (``tmp_path / "home"``), ``HURACAN_DB_URL`` (``store_url``; None: the home's SQLite file),
    ``HURACAN_EXCHANGE_URL``, ``MLFLOW_TRACKING_URI`` (the home's ``mlflow.db``) and a wide terminal,
    and returns the running emulator.
    """
    started: list[Emulator] = []

    def start(
        clock_ms: int,
        seed: int = 11,
        symbols: tuple[str, ...] = ("BTC/USDT", "ETH/USDT"),
        sim_params: object = None,
        store_url: str | None = None,
    ) -> Emulator:
        home = tmp_path / "home"
        emulator = Emulator(seed=seed, symbols=symbols, clock_ms=clock_ms, sim_params=sim_params).start()
        started.append(emulator)
        monkeypatch.setenv("HURACAN_HOME", str(home))
        if store_url is None:
            monkeypatch.delenv("HURACAN_DB_URL", raising=False)
        else:
            monkeypatch.setenv("HURACAN_DB_URL", store_url)
        monkeypatch.setenv("HURACAN_EXCHANGE_URL", emulator.url)
        monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow.db'}")
        monkeypatch.setenv("COLUMNS", "300")
        get_settings.cache_clear()
        return emulator

    yield start
    for emulator in started:
        emulator.stop()
    get_settings.cache_clear()
    dispose_engines()

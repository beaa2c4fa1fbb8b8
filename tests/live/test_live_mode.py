"""Live mode end to end through real ccxt against the emulator (with its test keys, its clock moving):
``huracan live-step --mode live`` and the live DAG's task bodies send the champion's order to the exchange
through the risk manager and record it like paper; a rerun sends nothing; the shadow stays on paper; a
reconciliation mismatch stops the tick and alerts."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import mlflow
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mlflow import MlflowClient
from sqlalchemy import select
from typer.testing import CliRunner

from huracan.cli.main import app
from huracan.config import Settings, get_settings
from huracan.data.db import open_engine
from huracan.data.schema import alerts, risk_decisions
from huracan.errors import ConfigError, LateTickError
from huracan.execution.live_mode import MODES, LiveTradingOff, require_live_model
from huracan.execution.orders import OrderStatus
from huracan.execution.store import ExecutionStore
from huracan.live.decisions import DecisionStore
from huracan.live.shadow import shadow_account
from huracan.live.tick import champion_broker
from huracan.market.emulator import Emulator
from huracan.market.emulator.frames import simulated_candles
from huracan.market.emulator.signing import DEFAULT_API_KEY, DEFAULT_API_SECRET
from huracan.pipeline import live_tasks
from huracan.registry import models, naming
from huracan.registry.keys import env_config_params
from huracan.registry.tracking import configure_tracking, ensure_experiment
from huracan.rl.pyfunc import observation_frame, observation_spec
from huracan.trading.config import EnvConfig
from huracan.trading.market_data import MarketData
from tests.cli.test_live_commands import live_trading_on
from tests.live.test_tick import CLOCK, HOUR, SYMBOL, all_in_policy

NAME = naming.model_name(SYMBOL, HOUR)
runner = CliRunner()


def register_all_in(client: MlflowClient, settings: Settings, alias: str) -> str:
    """Register an all-in policy as a new version of the symbol's model, aliased ``alias``; its version."""
    data = MarketData.from_candles(simulated_candles(400, 3, SYMBOL, HOUR), HOUR)
    # the model's experiment keeps its artifacts under HURACAN_HOME; MLflow's Default one would use ./mlruns
    experiment_id = ensure_experiment(settings, client, naming.experiment_name(SYMBOL, HOUR))
    with mlflow.start_run(experiment_id=experiment_id) as run:
        spec = observation_spec(
            exchange=settings.exchange, symbol=SYMBOL, timeframe="1h", env_config=env_config_params(EnvConfig())
        )
        uri = models.log_policy(all_in_policy(data), spec, observation_frame(data.features[300:302]))
    version = str(models.register(client, NAME, uri, run.info.run_id, {}, "test").version)
    client.set_registered_model_alias(NAME, alias, version)
    return version


@pytest.fixture
def live_store_url(request: pytest.FixtureRequest) -> str | None:
    """The store of a live-mode test: the home's SQLite file, or PostgreSQL when parametrised so."""
    return request.getfixturevalue("pg_url") if getattr(request, "param", "sqlite") == "postgresql" else None


@pytest.fixture
def live_env(
    cli_env: Callable[..., Emulator], mlflow_template: Path, monkeypatch: pytest.MonkeyPatch, live_store_url: str | None
) -> tuple[Emulator, str]:
    """An emulator at CLOCK, live trading on with its test keys, v1 the champion and v2 the challenger
    (both all in); returns the emulator and the shadow account."""
    emulator = cli_env(CLOCK, symbols=(SYMBOL,), store_url=live_store_url)
    live_trading_on(monkeypatch)
    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    shutil.copy(mlflow_template, settings.home / "mlflow.db")
    client = configure_tracking(settings)
    register_all_in(client, settings, "champion")
    client.delete_registered_model_alias(NAME, "challenger")
    challenger = register_all_in(client, settings, "challenger")
    return emulator, shadow_account(NAME, challenger)


def live_step(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["live-step", "-s", SYMBOL, "-t", "1h", "--mode", "live", "--json", *args])


def exchange_orders(emulator: Emulator) -> list[str]:
    return [order.client_order_id for order in emulator.trading.engine.orders(DEFAULT_API_KEY, SYMBOL)]


def store_orders(account: str) -> list[tuple[str, OrderStatus]]:
    store = ExecutionStore.open(get_settings().store_url)
    with store.transaction() as connection:
        return [(o.client_order_id, o.status) for o in store.orders(connection, account=account)]


@pytest.mark.parametrize(
    "live_store_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_live_step_sends_the_champions_order_to_the_exchange_once_and_the_shadow_stays_paper(
    live_env: tuple[Emulator, str],
) -> None:
    emulator, shadow = live_env
    tick = live_step()
    assert tick.exit_code == 0, tick.output
    report = json.loads(tick.stdout)
    assert report["mode"] == "live" and set(report["accounts"]) == {"live", shadow}
    live = report["accounts"]["live"]
    assert live["new"] and live["decision"]["role"] == "champion" and live["decision"]["model_version"] == "1"
    assert live["decision"]["action"] == 5 and live["decision"]["verdict"] in ("approved", "resized")
    cid = live["decision"]["client_order_id"]
    # one real order on the exchange, the champion's; recorded with its fill as on paper
    assert exchange_orders(emulator) == [cid]
    assert store_orders("live") == [(cid, OrderStatus.FILLED)]
    settings = get_settings()
    store = ExecutionStore.open(settings.store_url)
    with store.transaction() as connection:
        (fill,) = store.fills(connection, "live", SYMBOL)
        book = store.book(connection, "live", SYMBOL)
    assert fill.client_order_id == cid and book is not None and book.position_base > 0.0
    held = float(emulator.trading.engine.account(DEFAULT_API_KEY).balance("BTC").free)
    assert held == pytest.approx(book.position_base, rel=1e-9)
    with open_engine(settings.store_url).connect() as connection:
        checked = connection.execute(select(risk_decisions.c.account, risk_decisions.c.verdict)).all()
    assert ("live", live["decision"]["verdict"]) in checked  # through the risk manager
    decision = DecisionStore.open(settings.store_url).get("live", SYMBOL, "1h", report["decision_ms"])
    assert decision is not None and decision.client_order_id == cid
    # the challenger decided on the same candle, on its paper account only
    (shadow_order,) = store_orders(shadow)
    assert shadow_order[0] == report["accounts"][shadow]["decision"]["client_order_id"]
    assert shadow_order[0] not in exchange_orders(emulator) and store_orders("paper") == []

    again = live_step()
    assert again.exit_code == 0, again.output
    assert not any(account["new"] for account in json.loads(again.stdout)["accounts"].values())
    assert exchange_orders(emulator) == [cid]
    assert emulator.request_count("/api/v3/order", "POST", status=None) == 1

    emulator.advance_clock(HOUR.ms)  # the next candle: reconciled, still all in, nothing sent
    later = live_step()
    assert later.exit_code == 0, later.output
    nxt = json.loads(later.stdout)["accounts"]["live"]
    assert nxt["new"] and nxt["decision"]["action"] == 5 and nxt["decision"]["client_order_id"] is None
    assert exchange_orders(emulator) == [cid]


def test_a_reconciliation_mismatch_stops_the_live_tick_and_alerts(live_env: tuple[Emulator, str]) -> None:
    emulator, shadow = live_env
    assert live_step().exit_code == 0
    emulator.trading.engine.set_balance(DEFAULT_API_KEY, "BTC", 0)  # someone sold the position by hand
    emulator.advance_clock(HOUR.ms)
    found = live_step()
    assert found.exit_code == 1 and "halted" in found.output and "the book holds" in found.output, found.output
    retried = live_step()  # a retry finds the book halted: one alert for both
    assert retried.exit_code == 1 and "is halted" in retried.output, retried.output
    settings = get_settings()
    with open_engine(settings.store_url).connect() as connection:
        kinds = [row.kind for row in connection.execute(select(alerts.c.kind))]
    assert kinds.count("reconciliation_mismatch") == 1
    decisions = DecisionStore.open(settings.store_url)
    for account in ("live", shadow):  # the tick stopped before any account decided on the new candle
        assert len(decisions.history(account, SYMBOL, "1h")) == 1
    assert len(exchange_orders(emulator)) == 1


def test_the_live_dags_tasks_trade_the_champion_live_in_live_mode(live_env: tuple[Emulator, str]) -> None:
    emulator, shadow = live_env
    (job,) = live_tasks.plan({"symbols": [SYMBOL], "timeframe": "1h", "mode": "live"}, CLOCK)
    assert job["mode"] == "live"
    done = live_tasks.tick(job)
    assert done["mode"] == "live" and set(done["accounts"]) == {"live", shadow}
    cid = done["accounts"]["live"]["client_order_id"]
    assert cid and exchange_orders(emulator) == [cid]
    assert done["accounts"]["live"]["verdict"] in ("approved", "resized") and done["accounts"]["live"]["fills"] == 0
    retried = live_tasks.tick(job)  # a retry of the task: nothing new
    assert not any(account["new"] for account in retried["accounts"].values())
    assert exchange_orders(emulator) == [cid] and len(store_orders("live")) == 1
    paper = live_tasks.tick({**job, "mode": "paper"})  # the same candle in paper mode: the paper account
    assert set(paper["accounts"]) == {"paper", shadow} and paper["accounts"]["paper"]["new"]
    emulator.advance_clock(HOUR.ms)  # a retry after the next candle closed still changes nothing
    late = live_tasks.tick(job)
    assert not any(account["new"] for account in late["accounts"].values())
    assert exchange_orders(emulator) == [cid]


def test_a_live_tick_on_a_candle_that_is_no_longer_the_latest_sends_nothing(live_env: tuple[Emulator, str]) -> None:
    emulator, shadow = live_env
    (job,) = live_tasks.plan({"symbols": [SYMBOL], "mode": "live"}, CLOCK)
    emulator.advance_clock(HOUR.ms)  # the task ran late: the next candle has closed meanwhile
    with pytest.raises(LateTickError, match="latest closed candle only"):
        live_tasks.tick(job)
    assert exchange_orders(emulator) == [] and store_orders("live") == [] and store_orders(shadow) == []
    done = live_tasks.tick({**job, "at_ms": CLOCK + HOUR.ms})  # the next tick decides, on the latest candle
    assert done["accounts"]["live"]["client_order_id"] in exchange_orders(emulator)


def test_the_live_dags_plan_refuses_live_mode_without_keys(
    live_env: tuple[Emulator, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HURACAN_EXCHANGE_SECRET")
    get_settings.cache_clear()
    with pytest.raises(LiveTradingOff, match="HURACAN_EXCHANGE_SECRET"):
        live_tasks.plan({"symbols": [SYMBOL], "mode": "live"}, CLOCK)
    with pytest.raises(LiveTradingOff, match="HURACAN_EXCHANGE_SECRET"):  # a job planned before: the tick too
        live_tasks.tick({"symbol": SYMBOL, "timeframe": "1h", "at_ms": CLOCK, "mode": "live", "shadow": True})
    assert exchange_orders(live_env[0]) == []


@given(model=st.text(max_size=24).filter(lambda model: model != "champion"))
def test_no_model_but_the_champion_may_trade_live(model: str) -> None:
    with pytest.raises(LiveTradingOff, match="champion only"):
        require_live_model(model)


@given(mode=st.text(max_size=12).filter(lambda mode: mode not in MODES))
def test_a_mode_that_is_neither_paper_nor_live_is_refused(mode: str) -> None:
    with pytest.raises(ConfigError, match="mode must be paper or live"):
        champion_broker(Settings(), mode, "champion")


@given(on=st.booleans(), key=st.booleans(), secret=st.booleans())
def test_live_mode_is_refused_naming_exactly_what_is_missing(on: bool, key: bool, secret: bool) -> None:
    settings = Settings(
        live_trading=on,
        exchange_api_key=DEFAULT_API_KEY if key else None,
        exchange_secret=DEFAULT_API_SECRET if secret else None,
    )
    missing = {
        "HURACAN_LIVE_TRADING=true": not on,
        "HURACAN_EXCHANGE_API_KEY": not key,
        "HURACAN_EXCHANGE_SECRET": not secret,
    }
    if not any(missing.values()):
        return  # switched on: the broker would be built (the tests above send real orders with it)
    with pytest.raises(LiveTradingOff) as refused:
        champion_broker(settings, "live", "champion")
    for name, absent in missing.items():
        assert (name in str(refused.value)) == absent, name
    assert DEFAULT_API_KEY not in str(refused.value) and DEFAULT_API_SECRET not in str(refused.value)

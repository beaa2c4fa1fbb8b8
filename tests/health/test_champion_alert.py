"""``huracan promote --rollback`` moves the champion alias back and says so once at a loopback JSON webhook
(the promotion itself alerts through the same call; tests/health/test_alert_wiring.py shows it once per
change)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import mlflow
import pytest
from typer.testing import CliRunner

from huracan.cli.main import app
from huracan.clock import parse_instant_ms
from huracan.config import get_settings
from huracan.health.alerts import alert_champion_change
from huracan.market.emulator import Emulator
from huracan.market.emulator.frames import simulated_candles
from huracan.registry import models, naming
from huracan.registry.keys import VersionTags, env_config_params
from huracan.registry.tracking import configure_tracking
from huracan.rl.pyfunc import observation_frame, observation_spec
from huracan.timeframes import Timeframe
from huracan.trading.config import EnvConfig
from huracan.trading.market_data import MarketData
from tests.live.test_tick import all_in_policy

from .test_alerts import Receiver

CLOCK = parse_instant_ms("2022-06-01T06:30:00Z")
HOUR = Timeframe.parse("1h")


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    receiver = Receiver()
    monkeypatch.setenv("HURACAN_ALERT_URLS", receiver.url)
    yield receiver
    receiver.stop()


def test_a_rollback_alerts_the_champion_change_once(
    cli_env: Callable[..., Emulator], mlflow_template: Path, webhook: Receiver
) -> None:
    cli_env(CLOCK)
    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    shutil.copy(mlflow_template, settings.home / "mlflow.db")
    client = configure_tracking(settings)
    data = MarketData.from_candles(simulated_candles(400, 3, "BTC/USDT", HOUR), HOUR)
    name = naming.model_name("BTC/USDT", HOUR)
    spec = observation_spec(
        exchange=settings.exchange, symbol="BTC/USDT", timeframe="1h", env_config=env_config_params(EnvConfig())
    )
    policy = all_in_policy(data)
    for _ in range(2):
        with mlflow.start_run() as run:
            uri = models.log_policy(policy, spec, observation_frame(data.features[300:302]))
        models.register(client, name, uri, run.info.run_id, {}, "test")
    # v2 replaced v1 as champion (what the promotion gate writes)
    client.set_registered_model_alias(name, naming.CHAMPION, "2")
    for tag, value in VersionTags(previous_champion="1").to_tags().items():
        client.set_model_version_tag(name, "2", tag, value)

    rolled = CliRunner().invoke(app, ["promote", "-s", "BTC/USDT", "-t", "1h", "--rollback"])
    assert rolled.exit_code == 0, rolled.output
    assert "champion rolled back: v2 -> v1" in rolled.output
    alert_champion_change(settings, name, "1", "2", "rolled back by hand")  # a retry of the same change
    assert [(b["title"], b["message"]) for b in webhook.bodies] == [
        (f"champion change: {name} v1", "replacing v2: rolled back by hand")
    ]
    again = CliRunner().invoke(app, ["promote", "-s", "BTC/USDT", "-t", "1h", "--rollback"])
    assert again.exit_code == 1 and "nothing to roll back" in again.output
    assert len(webhook.bodies) == 1

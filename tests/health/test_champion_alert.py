"""``huracan promote --rollback`` moves the champion alias back and says so once at a loopback JSON webhook
(the promotion itself alerts through the same call; tests/health/test_alert_wiring.py shows it once per
change)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from huracan.cli.main import app
from huracan.clock import parse_instant_ms
from huracan.config import get_settings
from huracan.health.alerts import alert_champion_change
from huracan.market.emulator import Emulator
from huracan.registry import naming
from huracan.registry.keys import VersionTags
from huracan.timeframes import Timeframe
from tests.health.conftest import home_mlflow, register_all_in

from .test_alerts import Receiver

CLOCK = parse_instant_ms("2022-06-01T06:30:00Z")
HOUR = Timeframe.parse("1h")


def test_a_rollback_alerts_the_champion_change_once(
    cli_env: Callable[..., Emulator], mlflow_template: Path, webhook: Receiver
) -> None:
    cli_env(CLOCK)
    settings = get_settings()
    client = home_mlflow(settings, mlflow_template)
    name, _ = register_all_in(settings, client)
    register_all_in(settings, client)
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

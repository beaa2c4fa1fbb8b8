"""Alerts reach a loopback JSON webhook (Apprise's json:// scheme) exactly once per event, carry no secret,
and a receiver that is down fails nothing."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from huracan.config import Settings
from huracan.data.db import open_engine
from huracan.data.schema import alerts
from huracan.health.alerts import Alert, AlertKind, Notifier, alert_risk_changes
from huracan.risk.manager import RiskManager
from huracan.risk.snapshot import AccountSnapshot


class Receiver:
    """A webhook on 127.0.0.1 recording every JSON body posted to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    webhook = Receiver()
    yield webhook
    webhook.stop()


def _settings(settings: Settings, *urls: str) -> Settings:
    return settings.model_copy(update={"alert_urls": SecretStr(",".join(urls))})


def test_an_event_is_sent_once(settings: Settings, receiver: Receiver) -> None:
    notifier = Notifier.from_settings(_settings(settings, receiver.url))
    alert = Alert(AlertKind.FAILED_TICK, "huracan_live/run-1/BTC-USDT", "failed tick", "BTC/USDT: boom")
    assert notifier.send(alert) is True
    assert notifier.send(alert) is False  # a retry of the same event
    assert Notifier.from_settings(_settings(settings, receiver.url)).send(alert) is False  # another process
    assert [(b["title"], b["message"]) for b in receiver.bodies] == [("failed tick", "BTC/USDT: boom")]
    with open_engine(settings.store_url).connect() as connection:
        row = connection.execute(select(alerts)).mappings().one()
    assert row["delivered"] is True and row["kind"] == "failed_tick"


def test_no_secret_is_sent_or_stored(settings: Settings, receiver: Receiver) -> None:
    notifier = Notifier.from_settings(_settings(settings, receiver.url))
    body = "GET https://user:hunter2@api.example/x?signature=abc123&apiKey=KEY42 failed"
    notifier.send(Alert(AlertKind.FAILED_TICK, "e1", "failed tick", body))
    sent = json.dumps(receiver.bodies)
    assert "hunter2" not in sent and "abc123" not in sent and "KEY42" not in sent
    with open_engine(settings.store_url).connect() as connection:
        stored = connection.execute(select(alerts.c.body)).scalar_one()
    assert "hunter2" not in stored and "abc123" not in stored


def test_a_receiver_that_is_down_fails_nothing(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    notifier = Notifier.from_settings(_settings(settings, f"json://127.0.0.1:{port}/hook"))
    assert notifier.send(Alert(AlertKind.STALE_DATA, "e2", "stale data", "BTC/USDT 1h")) is True
    assert "ALERT stale_data" in caplog.text
    with open_engine(settings.store_url).connect() as connection:
        assert connection.execute(select(alerts.c.delivered)).scalar_one() is False


def test_breaker_trip_alerts_once(settings: Settings, receiver: Receiver) -> None:
    manager = RiskManager.from_settings(settings)
    manager.observe(AccountSnapshot("paper", 1_700_000_000_000, 100_000.0))
    manager.observe(AccountSnapshot("paper", 1_700_000_060_000, 100_000.0 - settings.risk_breaker_loss_quote - 1))
    notifier = Notifier.from_settings(_settings(settings, receiver.url))
    events = manager.store.events("paper", 10)
    assert alert_risk_changes(notifier, events) == 1
    assert alert_risk_changes(notifier, events) == 0
    assert len(receiver.bodies) == 1
    assert receiver.bodies[0]["title"] == "breaker trip: account paper HALTED"

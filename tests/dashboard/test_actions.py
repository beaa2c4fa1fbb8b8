"""The dashboard's state-changing actions through its FastAPI app (Airflow's real authentication dependency;
the signed-in user is what Airflow's ``get_user`` resolves, set as FastAPI's dependency override): a GET
only shows the confirm page, a POST needs that page's token for the same user, action and account, and
the change is recorded with the Airflow user's name. Anonymous requests are refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from huracan.clock import parse_instant_ms
from huracan.config import Settings
from huracan.dashboard import csrf
from huracan.risk import AccountSnapshot, PositionMark, ReasonCode, RiskManager, TradingState
from tests.dashboard.conftest import signed_in

SECRET = "test-secret"
T0 = parse_instant_ms("2026-11-20T09:00:00Z")
HOUR_MS = 3_600_000


@pytest.fixture
def app(settings: Settings) -> Any:
    from huracan.dashboard.app import create_app

    return create_app(settings, secret_key=SECRET)


@pytest.fixture
def alice(app: Any) -> Iterator[TestClient]:
    """A client signed in as the Airflow user ``alice``."""
    with signed_in(app, "alice") as client:
        yield client


@pytest.fixture
def manager(settings: Settings) -> RiskManager:
    return RiskManager.from_settings(settings)


def _observe(manager: RiskManager, equity_quote: float, at_ms: int) -> None:
    manager.observe(AccountSnapshot("paper", at_ms, equity_quote, {"BTC/USDT": PositionMark(0.0, 50_000.0, at_ms)}))


def _halt(manager: RiskManager) -> None:
    """100,000, then 100,900 (the high-water mark), then 99,850 a day later: the breaker (at 99,900) trips."""
    _observe(manager, 100_000.0, T0)
    _observe(manager, 100_900.0, T0 + HOUR_MS)
    _observe(manager, 99_850.0, T0 + 24 * HOUR_MS)


def _token(html: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', html)
    assert found, "the confirm page has no token"
    return found.group(1)


def test_anonymous_requests_are_refused_and_change_nothing(app: Any, manager: RiskManager) -> None:
    _halt(manager)
    with TestClient(app) as anonymous:
        for path in ("/", "/actions/reset?account=paper", "/trades/BTC/USDT"):
            assert anonymous.get(path).status_code == 401, path
        token = csrf.issue_token(SECRET, "alice", "reset", "paper", parse_instant_ms("2026-12-02T00:00:00Z"))
        posted = anonymous.post("/actions/reset", data={"account": "paper", "reason": "x", "token": token})
        assert posted.status_code == 401
    assert manager.state("paper").trading_state is TradingState.HALTED


def test_the_confirm_page_changes_nothing_and_a_confirmed_reset_is_recorded_with_the_user(
    alice: TestClient, manager: RiskManager
) -> None:
    _halt(manager)
    page = alice.get("/actions/reset", params={"account": "paper"})
    assert page.status_code == 200
    assert 'method="post" action="/huracan/actions/reset"' in page.text and 'name="reason"' in page.text
    assert "high-water mark restarts at the latest equity" in page.text and "your name, alice" in page.text
    alice.get("/actions/reset", params={"account": "paper"})  # again: still nothing happens
    assert manager.state("paper").trading_state is TradingState.HALTED and len(manager.store.events("paper")) == 1

    done = alice.post("/actions/reset", data={"account": "paper", "reason": "feed fixed", "token": _token(page.text)})
    assert done.status_code == 200, done.text
    assert "HALTED &rarr; ACTIVE" in done.text and "reset by alice: feed fixed" in done.text
    state = manager.state("paper")
    assert state.trading_state is TradingState.ACTIVE and state.high_water_quote == 99_850.0
    event = manager.store.events("paper")[0]
    assert (event.actor, event.code) == ("alice", ReasonCode.RESET) and "feed fixed" in event.message


def test_a_post_without_the_confirm_pages_token_is_refused(
    alice: TestClient, manager: RiskManager, settings: Settings
) -> None:
    _halt(manager)
    valid = _token(alice.get("/actions/reset", params={"account": "paper"}).text)
    now_ms = int(valid.split(".")[0])
    attempts = {
        "no token": ("", {}),
        "another user's token": (csrf.issue_token(SECRET, "mallory", "reset", "paper", now_ms), {}),
        "a token of another action": (csrf.issue_token(SECRET, "alice", "pause", "paper", now_ms), {}),
        "a token of another account": (csrf.issue_token(SECRET, "alice", "reset", "live", now_ms), {}),
        "another secret's token": (csrf.issue_token("other", "alice", "reset", "paper", now_ms), {}),
        "an expired token": (csrf.issue_token(SECRET, "alice", "reset", "paper", now_ms - csrf.TOKEN_TTL_MS - 1), {}),
        "a cross-site post": (valid, {"Sec-Fetch-Site": "cross-site"}),
    }
    for what, (token, headers) in attempts.items():
        response = alice.post(
            "/actions/reset", data={"account": "paper", "reason": "x", "token": token}, headers=headers
        )
        assert response.status_code == 403, what
        assert "Nothing was changed" in response.text, what
    blank = alice.post("/actions/reset", data={"account": "paper", "reason": "  ", "token": valid})
    assert blank.status_code == 400 and "reason is required" in blank.text
    assert alice.get("/actions/reset", params={"account": "paper"}).status_code == 200
    assert manager.state("paper").trading_state is TradingState.HALTED and len(manager.store.events("paper")) == 1


def test_pause_and_resume_through_the_dashboard(alice: TestClient, manager: RiskManager) -> None:
    _observe(manager, 100_000.0, T0)
    page = alice.get("/actions/pause", params={"account": "paper"})
    assert "every order that would add exposure is denied" in page.text
    done = alice.post("/actions/pause", data={"account": "paper", "reason": "news", "token": _token(page.text)})
    assert done.status_code == 200 and "ACTIVE &rarr; HALTED" in done.text
    state = manager.state("paper")
    assert state.trading_state is TradingState.HALTED and state.reason_code is ReasonCode.PAUSED
    assert "paused by alice: news" in state.reason

    reset = alice.get("/actions/reset", params={"account": "paper"})
    assert (
        'id="refused"' in reset.text
        and "it stays paused: a reset only lifts the breaker" in reset.text
        and "<form" not in reset.text
    )
    token = csrf.issue_token(SECRET, "alice", "reset", "paper", int(_token(page.text).split(".")[0]))
    refused = alice.post("/actions/reset", data={"account": "paper", "reason": "x", "token": token})
    assert refused.status_code == 409 and manager.state("paper").reason_code is ReasonCode.PAUSED

    page = alice.get("/actions/resume", params={"account": "paper"})
    done = alice.post("/actions/resume", data={"account": "paper", "reason": "calm", "token": _token(page.text)})
    assert done.status_code == 200 and "HALTED &rarr; ACTIVE" in done.text
    assert [(e.actor, e.code) for e in manager.store.events("paper")[:2]] == [
        ("alice", ReasonCode.RESUMED),
        ("alice", ReasonCode.PAUSED),
    ]
    assert manager.state("paper").trading_state is TradingState.ACTIVE


def test_bad_action_and_account_are_refused(alice: TestClient) -> None:
    assert alice.get("/actions/explode", params={"account": "paper"}).status_code == 422
    assert alice.get("/actions/pause", params={"account": " paper"}).status_code == 400

"""Settings: env prefix, absolute home, derived store URL, validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from huracan.config import Settings


def test_defaults_do_not_depend_on_the_working_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HURACAN_HOME", raising=False)
    monkeypatch.delenv("HURACAN_DB_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.home.is_absolute() and settings.home == Path.home().resolve() / ".huracan"
    assert settings.store_url == f"sqlite:///{settings.home / 'huracan.db'}"
    assert settings.exchange == "binance" and settings.exchange_url is None
    assert settings.retry_attempts == 3 and settings.retry_base_delay_s == 1.0


def test_environment_variables_with_the_prefix_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HURACAN_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("HURACAN_EXCHANGE_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("HURACAN_RETRY_ATTEMPTS", "5")
    settings = Settings()
    assert settings.home == tmp_path / "h"
    assert settings.store_url.endswith(str(tmp_path / "h" / "huracan.db"))
    assert settings.exchange_url == "http://127.0.0.1:9"
    assert settings.retry_attempts == 5


def test_relative_home_is_made_absolute(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings(home=Path("rel")).home == tmp_path.resolve() / "rel"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("exchange_url", "127.0.0.1:8765", "must start with http"), ("retry_attempts", -1, "greater than or equal")],
)
def test_bad_values_are_rejected_with_the_field_named(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(**{field: value})
    assert field in str(caught.value) and message in str(caught.value)

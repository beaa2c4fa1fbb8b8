"""The ccxt exchange built from settings."""

from __future__ import annotations

import pytest

from huracan.config import Settings
from huracan.errors import ConfigError
from huracan.market.exchange import build_exchange


def rest_urls(node) -> list[str]:
    if isinstance(node, dict):
        return [url for value in node.values() for url in rest_urls(value)]
    return [node] if isinstance(node, str) and node.startswith("http") else []


def test_every_rest_url_is_rebased_and_keeps_its_path() -> None:
    exchange = build_exchange(Settings(exchange_url="http://127.0.0.1:8765/"))
    urls = rest_urls(exchange.urls["api"])
    assert len(urls) > 10
    assert all(url.startswith("http://127.0.0.1:8765/") for url in urls)
    assert exchange.urls["api"]["public"] == "http://127.0.0.1:8765/api/v3"
    assert exchange.urls["api"]["fapiPublic"] == "http://127.0.0.1:8765/fapi/v1"


def test_without_a_url_the_real_exchange_is_used_with_rate_limiting() -> None:
    exchange = build_exchange(Settings(exchange_timeout_ms=1234))
    assert exchange.urls["api"]["public"].startswith("https://")
    assert exchange.enableRateLimit is True
    assert exchange.timeout == 1234


def test_unknown_exchange_is_named() -> None:
    with pytest.raises(ConfigError, match="'nosuchx'"):
        build_exchange(Settings(exchange="nosuchx"))

"""The ccxt exchange Huracan talks to, built from settings.

With ``HURACAN_EXCHANGE_URL`` set, the origin (scheme, host, port) of every REST URL in the exchange's
``urls['api']`` is replaced by that base URL and the path is kept, so ``https://api.binance.com/api/v3``
becomes ``http://127.0.0.1:8765/api/v3``. That is how offline runs and tests reach the loopback
emulator through the production code path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from huracan.config import Settings
from huracan.errors import ConfigError

if TYPE_CHECKING:
    import ccxt


def _rebase(url: str, base_url: str) -> str:
    path = urlsplit(url).path
    return base_url + path


def _rebase_tree(node: Any, base_url: str) -> Any:
    if isinstance(node, dict):
        return {key: _rebase_tree(value, base_url) for key, value in node.items()}
    if isinstance(node, str) and node.startswith(("http://", "https://")):
        return _rebase(node, base_url)
    return node


def build_exchange(settings: Settings) -> ccxt.Exchange:
    """A synchronous ccxt exchange for ``settings.exchange`` with rate limiting on.

    Spot markets only: loading markets then needs just the public exchange-info endpoint, no API key.
    Raises :class:`ConfigError` when ccxt has no exchange of that id.
    """
    import ccxt

    exchange_cls = getattr(ccxt, settings.exchange, None)
    if exchange_cls is None or settings.exchange not in ccxt.exchanges:
        raise ConfigError(f"HURACAN_EXCHANGE={settings.exchange!r} is not a ccxt exchange id")
    config: dict[str, Any] = {
        "enableRateLimit": True,
        "enableLastJsonResponse": True,  # lets MarketClient read serverTime from the market load
        "timeout": settings.exchange_timeout_ms,
        "options": {"fetchMarkets": {"types": ["spot"]}, "defaultType": "spot"},
    }
    exchange = exchange_cls(config)
    if settings.exchange_url:
        exchange.urls["api"] = _rebase_tree(exchange.urls["api"], settings.exchange_url)
    return exchange

"""Binance's request signing, checked by the emulator's signed (account and order) endpoints.

A signed request carries the API key in the ``X-MBX-APIKEY`` header and, among its parameters, a
``timestamp`` (ms UTC), an optional ``recvWindow`` (ms, default 5,000, at most 60,000) and ``signature``:
the lowercase hex HMAC-SHA256, keyed by the secret, of the query string concatenated with the request body
(without the ``signature`` pair itself), exactly as sent. ccxt's ``binance.sign`` builds this.

Checks, in order, and the answer to a failure (HTTP status, Binance code, message):

=================================================== ====== ===== ===================================================
check                                               status code  message
=================================================== ====== ===== ===================================================
key present, 64 letters or digits                   401    -2014 API-key format invalid.
key known                                           401    -2015 Invalid API-key, IP, or permissions for action.
``timestamp`` present, an integer                   400    -1102 Mandatory parameter 'timestamp' was not sent, ...
``recvWindow`` an integer, at most 60,000           400    -1131 recvWindow must be less than 60000
``signature`` present                               400    -1102 Mandatory parameter 'signature' was not sent, ...
signature matches                                   400    -1022 Signature for this request is not valid.
timestamp < now + 1,000 and now - timestamp <=      400    -1021 Timestamp for this request was 1000ms ahead of
recvWindow                                                       the server's time. / ... outside of the recvWindow.
=================================================== ====== ===== ===================================================

**"now" is the machine's wall clock**, not the emulator's (possibly frozen, historical) market clock:
ccxt stamps requests with the wall clock, as it would against the real exchange. (So do not set ccxt's
``adjustForTimeDifference`` against a frozen emulator: it would shift timestamps to the market clock.)

ccxt quirk worth knowing: once a private call has succeeded, ccxt raises ``DDoSProtection`` instead of
``AuthenticationError`` for -2015 (Binance also answers -2015 to a temporarily banned key).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from urllib.parse import unquote_plus

from huracan.market.emulator.server import ApiError, Request
from huracan.market.emulator_keys import DEFAULT_API_KEY, DEFAULT_API_SECRET

__all__ = ["DEFAULT_API_KEY", "DEFAULT_API_SECRET", "Signer", "check_key_format", "sign", "signed_payload"]

DEFAULT_RECV_WINDOW_MS, MAX_RECV_WINDOW_MS, MAX_AHEAD_MS = 5_000, 60_000, 1_000

_KEY_FORMAT = re.compile(r"[A-Za-z0-9]{64}")


def check_key_format(api_key: str) -> None:
    """Raise ValueError unless ``api_key`` looks like a Binance key (64 letters or digits)."""
    if not _KEY_FORMAT.fullmatch(api_key):
        raise ValueError(f"API key {api_key[:8]!r}... must be 64 letters or digits (as Binance keys are)")


def _missing(name: str) -> ApiError:
    return ApiError(400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def signed_payload(query: str, body: bytes) -> tuple[str, str | None]:
    """(the text that was signed, the ``signature`` sent or None) from the raw query string and body."""
    signature = None
    parts = []
    for text in (query, body.decode("latin-1")):
        kept = []
        for pair in text.split("&") if text else []:
            if pair.startswith("signature="):
                signature = unquote_plus(pair[len("signature=") :])
            else:
                kept.append(pair)
        parts.append("&".join(kept))
    return "".join(parts), signature


def sign(payload: str, secret: str) -> str:
    """Binance's HMAC-SHA256 signature (lowercase hex) of ``payload`` with ``secret``."""
    return hmac.new(secret.encode(), payload.encode("latin-1"), hashlib.sha256).hexdigest()


class Signer:
    """Checks signed requests against known keys; see the module docstring.

    :param api_keys: secret per API key; every key must be 64 letters or digits.
    """

    def __init__(self, api_keys: Mapping[str, str]) -> None:
        if not api_keys:
            raise ValueError("at least one API key is needed")
        for key in api_keys:
            check_key_format(key)
        self._secrets = dict(api_keys)

    @property
    def api_keys(self) -> tuple[str, ...]:
        return tuple(self._secrets)

    def authenticate(self, request: Request) -> str:
        """The API key of a correctly signed, timely request; else the :class:`ApiError` Binance answers."""
        api_key = next((v for k, v in request.headers.items() if k.lower() == "x-mbx-apikey"), "")
        if not _KEY_FORMAT.fullmatch(api_key):
            raise ApiError(401, -2014, "API-key format invalid.")
        secret = self._secrets.get(api_key)
        if secret is None:
            raise ApiError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        timestamp_text = request.params.get("timestamp", "")
        if not timestamp_text.isdigit():
            raise _missing("timestamp")
        window_text = request.params.get("recvWindow", str(DEFAULT_RECV_WINDOW_MS))
        if not window_text.isdigit() or int(window_text) > MAX_RECV_WINDOW_MS:
            raise ApiError(400, -1131, f"recvWindow must be less than {MAX_RECV_WINDOW_MS}")
        payload, signature = signed_payload(request.query, request.body)
        if not signature:
            raise _missing("signature")
        if not hmac.compare_digest(signature.lower(), sign(payload, secret)):
            raise ApiError(400, -1022, "Signature for this request is not valid.")
        now, timestamp = int(time.time() * 1000), int(timestamp_text)
        if timestamp >= now + MAX_AHEAD_MS:
            raise ApiError(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")
        if now - timestamp > int(window_text):
            raise ApiError(400, -1021, "Timestamp for this request is outside of the recvWindow.")
        return api_key

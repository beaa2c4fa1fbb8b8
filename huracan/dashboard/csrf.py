"""Tokens that prove a state-changing form was served by the dashboard to the same user (CSRF protection).

Airflow's login keeps the JWT in a ``SameSite=Lax`` cookie, which browsers do not send with a cross-site
POST; a page on the same site (another port of the host) could still post a form with it. So every
confirm form carries a token: ``<issued_ms>.<HMAC-SHA256 of user, action, account and issued_ms>`` under
a server secret. A POST is accepted only with a token issued to that user for that action and account
within :data:`TOKEN_TTL_MS`; nothing else on the request (cookies, referrer) is trusted.
"""

from __future__ import annotations

import hashlib
import hmac

from huracan.errors import HuracanError

TOKEN_TTL_MS = 15 * 60_000
"""How long a confirm form stays valid, ms."""
_CLOCK_SKEW_MS = 60_000


class CsrfError(HuracanError):
    """A state-changing request without a valid token; the message says what is wrong."""


def _digest(secret: str, user: str, action: str, account: str, issued_ms: int) -> str:
    message = "\x1f".join(("huracan-dashboard", user, action, account, str(issued_ms))).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def issue_token(secret: str, user: str, action: str, account: str, now_ms: int) -> str:
    """A token for ``user`` (the Airflow user id) to confirm ``action`` on ``account``, issued at ``now_ms``."""
    return f"{now_ms}.{_digest(secret, user, action, account, now_ms)}"


def check_token(secret: str, token: str, user: str, action: str, account: str, now_ms: int) -> None:
    """Raise :class:`CsrfError` unless ``token`` was issued by :func:`issue_token` for exactly this user,
    action and account, at most :data:`TOKEN_TTL_MS` before ``now_ms``."""
    issued, _, digest = token.partition(".")
    if not issued.isdigit() or not digest:
        raise CsrfError("the confirmation token is missing or malformed: open the confirm page again")
    issued_ms = int(issued)
    if not hmac.compare_digest(digest, _digest(secret, user, action, account, issued_ms)):
        raise CsrfError("the confirmation token was not issued to you for this action and account")
    if not -_CLOCK_SKEW_MS <= now_ms - issued_ms <= TOKEN_TTL_MS:
        raise CsrfError(
            f"the confirmation token has expired (valid {TOKEN_TTL_MS // 60_000} min): open the confirm page again"
        )

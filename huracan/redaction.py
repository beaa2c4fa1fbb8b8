"""Secrets out of messages: credentials in URLs and signed query strings never reach a log line or an error.

:func:`redact` is applied to every exchange error and retry warning (``market/retry.py``) and to every
error the command line prints (``cli/common.py``); store URLs are rendered with their password hidden.
"""

from __future__ import annotations

import re

# scheme://user:password@host -> scheme://***@host (also a bare user@)
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s'\"]+@")
# signed requests: ...&signature=<hex>, apiKey=..., password=... in query strings or JSON-ish text
_SECRET_PARAMS = re.compile(r"(?P<name>signature|apikey|api_key|secret|password|passphrase|token)=[^&\s'\"]+", re.I)


def redact(text: str) -> str:
    """``text`` with URL credentials and secret query parameters replaced by ``***``."""
    text = _USERINFO.sub(r"\g<scheme>***@", text)
    return _SECRET_PARAMS.sub(r"\g<name>=***", text)

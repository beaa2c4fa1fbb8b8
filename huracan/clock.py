"""Instants at the boundary: text <-> epoch milliseconds UTC. Inside Huracan, time is ``*_ms`` ints."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_instant_ms(text: str) -> int:
    """Epoch ms UTC of ``text``: integer ms, a date ``YYYY-MM-DD`` (its 00:00 UTC) or ISO-8601.

    A date-time without an offset is taken as UTC. Raises ValueError naming the text otherwise.
    """
    text = text.strip()
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not integer ms, a YYYY-MM-DD date or an ISO-8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def format_ms(ts_ms: int | None) -> str:
    """``ts_ms`` as ``YYYY-MM-DD HH:MM`` UTC (seconds shown only when not zero); ``-`` for None."""
    if ts_ms is None:
        return "-"
    moment = datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")


def iso_ms(ts_ms: int | None) -> str | None:
    """``ts_ms`` (ms UTC) as ISO-8601 UTC, ``2026-12-02T14:00:00Z``, for JSON; ``None`` stays ``None``."""
    if ts_ms is None:
        return None
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")

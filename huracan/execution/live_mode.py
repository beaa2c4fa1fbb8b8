"""The switch for real orders: live mode needs ``HURACAN_LIVE_TRADING=true`` and exchange keys, and paper is
the default everywhere; in live mode only the champion trades on the exchange. Keys are never echoed:
messages name the settings, not their values."""

from __future__ import annotations

from typing import TYPE_CHECKING

from huracan.errors import ConfigError

if TYPE_CHECKING:
    from huracan.config import Settings


class LiveTradingOff(ConfigError):
    """Live mode was asked for without the live-trading setting or the keys, or for another model than the
    champion."""


def missing_for_live(settings: Settings) -> list[str]:
    """The settings live mode still needs (empty when it may start)."""
    return [
        name
        for name, ok in (
            ("HURACAN_LIVE_TRADING=true", settings.live_trading),
            ("HURACAN_EXCHANGE_API_KEY", settings.exchange_api_key is not None),
            ("HURACAN_EXCHANGE_SECRET", settings.exchange_secret is not None),
        )
        if not ok
    ]


def require_live_mode(settings: Settings) -> None:
    """Raise :class:`LiveTradingOff` naming what is missing, unless live trading is on and keys are given."""
    missing = missing_for_live(settings)
    if missing:
        raise LiveTradingOff(f"live mode needs {', '.join(missing)}; paper is the default")


MODES = ("paper", "live")
"""The trading modes: ``paper`` (the default everywhere) and ``live`` (real orders)."""

LIVE_MODEL = "champion"
"""The only model that trades live; every other one (``challenger``, a version, the shadow) trades on paper."""


def require_live_model(model: str) -> None:
    """Raise :class:`LiveTradingOff` unless ``model`` is the champion: anything else trades on paper only."""
    if model != LIVE_MODEL:
        raise LiveTradingOff(
            f"live mode trades the {LIVE_MODEL} only; model {model!r} trades on paper only (use paper mode for it)"
        )

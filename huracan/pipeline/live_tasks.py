"""The live DAG's task bodies (``dags/huracan_live.py`` only wires them): small JSON values in and out.

``plan`` turns the run's params and time into one job per symbol; ``tick`` runs
:func:`huracan.live.tick.live_tick` for one job. A tick is a transaction: rerun or retried for the same
symbol and candle it changes nothing (its decisions are recorded once, its orders keyed by deterministic
client ids), and a run after downtime acts on the latest closed candle only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from huracan.errors import ConfigError
from huracan.pipeline.jobs import parse_symbols
from huracan.timeframes import Timeframe

Result = dict[str, Any]


def plan(params: Mapping[str, Any], at_ms: int) -> list[Result]:
    """One job per symbol: ``{"symbol", "timeframe", "at_ms", "mode", "shadow"}``; ``at_ms`` is the run's
    time (ms UTC), whose last closed candle the tick decides on. Live mode (the champion's orders on the
    exchange; the shadow stays on paper) needs the live-trading setting and keys: without them it fails the
    plan, no tick runs."""
    from huracan.config import get_settings
    from huracan.execution.live_mode import MODES, require_live_mode

    timeframe = Timeframe.parse(str(params.get("timeframe", "1h"))).name
    mode = params.get("mode", "paper")
    if mode not in MODES:
        raise ConfigError(f"param mode must be paper or live, got {mode!r}")
    if mode == "live":
        require_live_mode(get_settings())
    shadow = params.get("shadow", True)
    if not isinstance(shadow, bool):
        raise ConfigError(f"param shadow must be true or false, got {shadow!r}")
    return [
        {"symbol": symbol, "timeframe": timeframe, "at_ms": int(at_ms), "mode": mode, "shadow": shadow}
        for symbol in parse_symbols(params.get("symbols"))
    ]


def tick(job: Mapping[str, Any]) -> Result:
    """One symbol's tick in the job's mode; returns what each account decided (the full record is in the
    store)."""
    from huracan.clock import iso_ms
    from huracan.config import get_settings
    from huracan.live.tick import live_tick
    from huracan.registry.tracking import configure_tracking

    settings = get_settings()
    report = live_tick(
        settings,
        configure_tracking(settings),
        str(job["symbol"]),
        Timeframe.parse(str(job["timeframe"])),
        int(job["at_ms"]),
        shadow=bool(job["shadow"]),
        mode=str(job["mode"]),
    )
    return {
        "symbol": report.symbol,
        "timeframe": report.timeframe,
        "mode": report.mode,
        "decision": iso_ms(report.decision_ms),
        "note": report.note,
        "accounts": {
            account: {
                "model": f"{s.decision.model_name} v{s.decision.model_version}",
                "action": s.decision.action,
                "target_frac": s.decision.target_frac,
                "verdict": s.decision.verdict,
                "client_order_id": s.decision.client_order_id,
                "equity_quote": s.decision.equity_quote,
                "fills": len(s.fills),
                "new": s.new,
            }
            for account, s in report.steps.items()
        },
    }

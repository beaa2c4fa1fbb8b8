"""When the live DAG runs: one tick per candle, a minute after each candle closes (so the exchange has
finalised it), as a cron expression derived from the timeframe.

Light module (no third-party imports): the DAG file uses it at parse time.
"""

from __future__ import annotations

from huracan.timeframes import Timeframe

DELAY_MINUTES = 1
"""Minutes after a candle's close at which its tick runs (not for 1m candles: cron has no seconds)."""


def tick_cron(timeframe: str | Timeframe) -> str:
    """The cron expression (UTC) of the ticks of ``timeframe``: ``1-59/15 * * * *`` for 15m, ``1 */4 * * *``
    for 4h, ``1 0 * * *`` for 1d; ``* * * * *`` for 1m."""
    tf = Timeframe.parse(timeframe) if isinstance(timeframe, str) else timeframe
    minutes = tf.ms // 60_000
    if minutes == 1:
        return "* * * * *"
    if minutes < 60:
        return f"{DELAY_MINUTES}-59/{minutes} * * * *"
    hours = minutes // 60
    if hours < 24:
        return f"{DELAY_MINUTES} */{hours} * * *" if hours > 1 else f"{DELAY_MINUTES} * * * *"
    return f"{DELAY_MINUTES} 0 * * *"

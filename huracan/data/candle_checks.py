"""The checks every candle passes before it is stored, from the exchange or from a CSV file.

A candle is stored only when all its values are finite numbers, its prices are positive, its volume
is not negative, ``high >= max(open, close)`` and ``low <= min(open, close)`` (so ``high >= low``), its
open time is on the timeframe's grid and its close time (when the exchange sends one) is
``open + timeframe - 1``. Two copies of one open time with different values are a conflict: neither is
stored. Identical copies are one candle. Nothing is repaired: a candle failing a check is refused and
reported (:class:`Refusal`), so the store never holds a candle the quality gate would have to reject,
on SQLite and on PostgreSQL alike.

Rows are float64 arrays ``[open_ms, open, high, low, close, volume(, close_ms)]`` (prices in quote
currency, volume in base asset, times in ms UTC; a close time of NaN means unknown). The checks are
vectorised: a clean page costs a few microseconds per thousand candles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from huracan.clock import format_ms


@dataclass(frozen=True)
class Refusal:
    """A candle that was not stored, and why.

    :param open_ms: its open time as sent, ms UTC (None when that was not a number).
    :param reason: what is wrong with it, in words.
    """

    open_ms: int | None
    reason: str

    def describe(self) -> str:
        return f"{format_ms(self.open_ms) if self.open_ms is not None else 'open time ?'}: {self.reason}"


def _reason(row: np.ndarray, tf_ms: int) -> str:
    ts, o, h, low, c, v = (float(x) for x in row[:6])
    if not np.isfinite(row[:6]).all():
        names = [
            n
            for n, x in zip(("open time", "open", "high", "low", "close", "volume"), row[:6], strict=True)
            if not np.isfinite(x)
        ]
        return f"{', '.join(names)} not a finite number"
    if min(o, h, low, c) <= 0:
        return f"price not positive (open {o:g}, high {h:g}, low {low:g}, close {c:g})"
    if v < 0:
        return f"negative volume {v:g}"
    if h < max(o, c) or low > min(o, c):
        return f"high {h:g} / low {low:g} do not contain open {o:g} and close {c:g}"
    if ts % tf_ms:
        return f"open time {int(ts)} is not on the {tf_ms} ms grid"
    return f"close time {int(row[6])} is not open time + {tf_ms} - 1"


def valid_mask(rows: np.ndarray, tf_ms: int) -> np.ndarray:
    """Boolean mask of the rows that pass every value check (see the module docstring)."""
    ts, o, h, low, c, v = (rows[:, i] for i in range(6))
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(rows[:, :6]).all(axis=1)
        ok &= (o > 0) & (h > 0) & (low > 0) & (c > 0) & (v >= 0)
        ok &= (h >= np.maximum(o, c)) & (low <= np.minimum(o, c))
        ok &= ts % tf_ms == 0
        if rows.shape[1] > 6:
            close = rows[:, 6]
            ok &= np.isnan(close) | (close == ts + (tf_ms - 1))
    return ok


def checked(rows: np.ndarray, tf_ms: int) -> tuple[np.ndarray, list[Refusal]]:
    """The rows that may be stored, sorted by open time and unique, and the refusals of the others.

    Duplicated open times with identical values count once; with different values, every copy is
    refused ("conflicting copies").
    """
    ok = valid_mask(rows, tf_ms)
    refused = [] if ok.all() else [Refusal(_open_ms(row), _reason(row, tf_ms)) for row in rows[~ok]]
    good = rows[ok]
    ts = good[:, 0]
    if len(ts) > 1 and not (np.diff(ts) > 0).all():
        good = good[np.argsort(ts, kind="stable")]
        ts = good[:, 0]
        same = np.flatnonzero(np.diff(ts) == 0)
        if len(same):
            values = good[:, 1:6]
            conflict_ts = {float(ts[i]) for i in same if not np.array_equal(values[i], values[i + 1])}
            keep = np.ones(len(good), dtype=bool)
            keep[same + 1] = False  # identical copies: keep the first
            if conflict_ts:
                keep &= ~np.isin(ts, list(conflict_ts))
                refused += [
                    Refusal(int(t), "conflicting copies of this candle in one answer") for t in sorted(conflict_ts)
                ]
            good = good[keep]
    return good, refused


def _open_ms(row: np.ndarray) -> int | None:
    return int(row[0]) if np.isfinite(row[0]) else None

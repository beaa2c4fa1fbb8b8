"""Candle CSV files in and out of the store.

Format: header ``timestamp,open,high,low,close,volume``; ``timestamp`` is the candle's open time in
integer milliseconds UTC (import also accepts ISO-8601, e.g. ``2024-01-01T00:00:00Z``; a time without
an offset is taken as UTC); prices in quote currency, volume in base asset. Export writes integers for
timestamps and Python's shortest round-trip form for numbers, so a file in that form exports back
byte for byte.

Import checks every row before writing any, and refuses the whole file, naming each bad line (the
first ten) in one :class:`CsvFormatError`, when:

- the file is not UTF-8 text (a binary file), has the wrong header, or has no candle at all;
- a row has the wrong field count, or a number that does not parse or is not finite;
- a timestamp is neither integer ms nor ISO-8601, lies outside 2000-01-01 .. 2100-01-01 (that is
  also how a timestamp in seconds, or one beyond int64, is caught), or repeats an earlier line;
- a candle fails the checks every stored candle passes (:mod:`huracan.data.candle_checks`: positive
  prices, non-negative volume, high/low containing open and close, open time on the timeframe's grid),
  or has not closed yet by the local clock.

Gaps are not the importer's business: the quality gate measures coverage.
"""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path

import numpy as np

from huracan.clock import format_ms, parse_instant_ms
from huracan.data.candle_checks import checked, valid_mask
from huracan.data.candle_store import CandleStore, SeriesKey
from huracan.errors import CsvFormatError, NoDataError
from huracan.series import CANDLE_COLUMNS
from huracan.timeframes import Timeframe

HEADER = ("timestamp", *CANDLE_COLUMNS)
_MAX_REPORTED = 10
#: Open times the importer accepts, ms UTC: 2000-01-01 (inclusive) .. 2100-01-01 (exclusive).
MIN_OPEN_MS, MAX_OPEN_MS = 946_684_800_000, 4_102_444_800_000


def _timestamp_problem(text: str, ts_ms: int) -> str | None:
    if MIN_OPEN_MS <= ts_ms < MAX_OPEN_MS:
        return None
    if text.strip().isdigit() and MIN_OPEN_MS // 1000 <= ts_ms < MAX_OPEN_MS // 1000:
        return f"timestamp {text!r} looks like seconds; open times are integer milliseconds UTC"
    return f"timestamp {text!r} is outside {format_ms(MIN_OPEN_MS)} .. {format_ms(MAX_OPEN_MS)}"


def read_candle_csv(path: Path, timeframe: Timeframe) -> list[tuple[int, float, float, float, float, float]]:
    """Every row of the candle CSV at ``path`` (candles of ``timeframe``), checked; raise
    :class:`CsvFormatError` listing the bad lines (see the module docstring)."""
    problems: list[str] = []
    rows: list[tuple[int, float, float, float, float, float]] = []
    lines: list[int] = []
    seen: dict[int, int] = {}
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise CsvFormatError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        with handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or tuple(field.strip() for field in header) != HEADER:
                got = ",".join(header or [])
                raise CsvFormatError(f"{path}: line 1: header must be {','.join(HEADER)!r}, got {got[:80]!r}")
            for line_no, fields in enumerate(reader, start=2):
                if len(problems) >= _MAX_REPORTED:
                    break
                problem = _parse_row(fields, line_no, seen, rows)
                if problem is None:
                    lines.append(line_no)
                else:
                    problems.append(f"line {line_no}: {problem}")
    except UnicodeDecodeError as exc:
        raise CsvFormatError(f"{path}: not UTF-8 text (byte {exc.start} of a block); is it a binary file?") from exc
    except csv.Error as exc:
        raise CsvFormatError(f"{path}: not a CSV text file: {exc}") from exc
    if not problems:
        problems = _candle_problems(rows, lines, timeframe)
    if problems:
        more = " (first problems only)" if len(problems) >= _MAX_REPORTED else ""
        raise CsvFormatError(f"{path}: nothing imported{more}:\n  " + "\n  ".join(problems[:_MAX_REPORTED]))
    if not rows:
        raise CsvFormatError(f"{path}: nothing imported: the file has a header but no candles")
    return rows


def _parse_row(
    fields: list[str], line_no: int, seen: dict[int, int], rows: list[tuple[int, float, float, float, float, float]]
) -> str | None:
    """Append the row parsed from ``fields`` to ``rows``; return what is wrong with it instead, if anything."""
    if not fields:
        return "empty line"
    if len(fields) != len(HEADER):
        return f"expected {len(HEADER)} fields, found {len(fields)}"
    try:
        ts_ms = parse_instant_ms(fields[0])
    except (ValueError, OverflowError):
        return f"timestamp {fields[0]!r} is neither integer ms nor ISO-8601"
    problem = _timestamp_problem(fields[0], ts_ms)
    if problem is not None:
        return problem
    values = []
    for name, text in zip(CANDLE_COLUMNS, fields[1:], strict=True):
        try:
            value = float(text)
        except ValueError:
            return f"{name} {text!r} is not a number"
        if not math.isfinite(value):
            return f"{name} {text!r} is not a finite number"
        values.append(value)
    if ts_ms in seen:
        return f"timestamp {ts_ms} already on line {seen[ts_ms]}"
    seen[ts_ms] = line_no
    rows.append((ts_ms, *values))  # type: ignore[arg-type]
    return None


def _candle_problems(
    rows: list[tuple[int, float, float, float, float, float]], lines: list[int], timeframe: Timeframe
) -> list[str]:
    """The candle checks of the store (and closed by the local clock), per line."""
    if not rows:
        return []
    batch = np.array(rows, dtype=np.float64)
    ok = valid_mask(batch, timeframe.ms)
    ok &= batch[:, 0] + timeframe.ms <= time.time() * 1000
    problems = []
    for index in np.flatnonzero(~ok)[:_MAX_REPORTED]:
        row = batch[index : index + 1]
        _, refusals = checked(row, timeframe.ms)
        reason = (
            refusals[0].reason if refusals else f"the candle opening {format_ms(int(row[0, 0]))} has not closed yet"
        )
        problems.append(f"line {lines[index]}: {reason}")
    return problems


def import_csv(store: CandleStore, key: SeriesKey, path: Path) -> int:
    """Store every candle of the CSV at ``path`` as series ``key`` in one transaction; return the count."""
    rows = read_candle_csv(path, Timeframe.parse(key.timeframe))
    rows.sort()
    return store.upsert(key, rows)


def export_csv(store: CandleStore, key: SeriesKey, path: Path) -> int:
    """Write series ``key`` to ``path`` (oldest first); return the number of candles written."""
    frame = store.read(key)
    if frame.empty:
        raise NoDataError(f"no candles stored for {key}; nothing exported")
    ts_ms = frame.index.as_unit("ms").asi8
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        handle.write(",".join(HEADER) + "\n")
        for ts, values in zip(ts_ms.tolist(), frame.to_numpy().tolist(), strict=True):
            handle.write(f"{ts}," + ",".join(map(repr, values)) + "\n")
    tmp.replace(path)  # the file appears whole or not at all
    return len(frame)

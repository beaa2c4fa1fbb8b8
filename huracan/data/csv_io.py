"""Candle CSV files in and out of the store.

Format: header ``timestamp,open,high,low,close,volume``; ``timestamp`` is the candle's open time in
integer milliseconds UTC (import also accepts ISO-8601, e.g. ``2024-01-01T00:00:00Z``; a time without
an offset is taken as UTC); prices in quote currency, volume in base asset. Export writes integers for
timestamps and Python's shortest round-trip form for numbers, so a file in that form exports back
byte for byte.

Import checks every row before writing any: a malformed row (wrong field count, a timestamp that is
neither integer ms nor ISO-8601, a number that does not parse or is not finite, a timestamp seen on
an earlier line) aborts the import with :class:`CsvFormatError` naming the line and the problem, and
nothing is stored. Whether the candles make sense (high >= low, volume >= 0, on the timeframe's grid,
no gaps) is the quality gate's question, not the importer's.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from huracan.clock import parse_instant_ms
from huracan.data.candle_store import COLUMNS, CandleStore, SeriesKey
from huracan.errors import CsvFormatError, NoDataError

HEADER = ("timestamp", *COLUMNS)
_MAX_REPORTED = 10


def read_candle_csv(path: Path) -> list[tuple[int, float, float, float, float, float]]:
    """Every row of the candle CSV at ``path``, checked; raise :class:`CsvFormatError` listing bad lines."""
    problems: list[str] = []
    rows: list[tuple[int, float, float, float, float, float]] = []
    seen: dict[int, int] = {}
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise CsvFormatError(f"{path}: cannot read: {exc.strerror}") from exc
    with handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(field.strip() for field in header) != HEADER:
            raise CsvFormatError(f"{path}: line 1: header must be {','.join(HEADER)!r}, got {','.join(header or [])!r}")
        for line_no, fields in enumerate(reader, start=2):
            if len(problems) >= _MAX_REPORTED:
                break
            if not fields:
                problems.append(f"line {line_no}: empty line")
                continue
            if len(fields) != len(HEADER):
                problems.append(f"line {line_no}: expected {len(HEADER)} fields, found {len(fields)}")
                continue
            try:
                ts_ms = parse_instant_ms(fields[0])
            except ValueError:
                problems.append(f"line {line_no}: timestamp {fields[0]!r} is neither integer ms nor ISO-8601")
                continue
            values = []
            for name, text in zip(COLUMNS, fields[1:], strict=True):
                try:
                    value = float(text)
                except ValueError:
                    problems.append(f"line {line_no}: {name} {text!r} is not a number")
                    break
                if not math.isfinite(value):
                    problems.append(f"line {line_no}: {name} {text!r} is not a finite number")
                    break
                values.append(value)
            else:
                if ts_ms in seen:
                    problems.append(f"line {line_no}: timestamp {ts_ms} already on line {seen[ts_ms]}")
                    continue
                seen[ts_ms] = line_no
                rows.append((ts_ms, *values))  # type: ignore[arg-type]
    if problems:
        more = " (first problems only)" if len(problems) >= _MAX_REPORTED else ""
        raise CsvFormatError(f"{path}: nothing imported{more}:\n  " + "\n  ".join(problems))
    return rows


def import_csv(store: CandleStore, key: SeriesKey, path: Path) -> int:
    """Store every candle of the CSV at ``path`` as series ``key`` in one transaction; return the count."""
    rows = read_candle_csv(path)
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

"""What one DAG run does per symbol: the :class:`SeriesJob`, planned from the run's params and date.

A run's params (the trigger form: symbols, timeframe, history start, timesteps, seeds, promote) and its
cutoff (the logical date, or the trigger time for a run without one) become one job per symbol. Every
task of that symbol receives the same job as a small JSON dict, so a task retried, cleared or rerun for
the same logical date works on exactly the same candles: the range ends at the last candle closed at
the cutoff, never at "now".

This module is light (no pandas, ccxt, torch, mlflow): the DAG file's plan task imports it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from huracan.clock import format_ms, parse_instant_ms
from huracan.errors import ConfigError, UnknownTimeframeError
from huracan.timeframes import Timeframe

SYMBOL_PATTERN = r"^[A-Z0-9]{2,20}/[A-Z0-9]{2,20}$"
"""Unified spot symbols as ccxt spells them, e.g. ``BTC/USDT`` (the trigger form checks it too)."""


@dataclass(frozen=True)
class SeriesJob:
    """One symbol's share of a DAG run, passed to each of its tasks (as :meth:`to_dict`).

    :param exchange: ccxt exchange id the candles come from (``HURACAN_EXCHANGE``).
    :param symbol: unified symbol, e.g. "BTC/USDT".
    :param timeframe: candle timeframe name, e.g. "1d".
    :param since_ms: first candle open time wanted, ms UTC (the history start, on the grid).
    :param until_ms: last candle open time used, ms UTC: the last candle closed at ``cutoff_ms``.
    :param cutoff_ms: the run's logical date (or trigger time), ms UTC.
    :param timesteps: PPO training budget per seed, environment steps.
    :param seeds: training seeds; one model is trained per seed.
    :param promote: whether the promotion gate may move the ``champion`` alias (False: register and
        mark ``challenger`` only).
    :param run_label: the Airflow run that planned the job (tagged on MLflow runs), or "" outside Airflow.
    """

    exchange: str
    symbol: str
    timeframe: str
    since_ms: int
    until_ms: int
    cutoff_ms: int
    timesteps: int
    seeds: tuple[int, ...]
    promote: bool
    run_label: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The job as a JSON-able dict (seeds as a list)."""
        data = asdict(self)
        data["seeds"] = list(self.seeds)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SeriesJob:
        """The job back from :meth:`to_dict`'s output (an XCom value)."""
        return cls(**{**data, "seeds": tuple(int(seed) for seed in data["seeds"])})


def candle_asset_uri(exchange: str, symbol: str, timeframe: str) -> str:
    """URI (and name) of the Airflow asset of one stored candle series, e.g.
    ``x-huracan://candles/binance/BTC-USDT/1d``; DAGs can be scheduled on it."""
    from huracan.series import symbol_slug

    return f"x-huracan://candles/{exchange}/{symbol_slug(symbol)}/{timeframe}"


def model_asset_uri(registered_model: str) -> str:
    """URI (and name) of the Airflow asset of one registered model, e.g. ``x-huracan://models/<name>``."""
    return f"x-huracan://models/{registered_model}"


def plan_jobs(params: Mapping[str, Any], cutoff_ms: int, exchange: str, run_label: str = "") -> list[SeriesJob]:
    """One job per requested symbol, from a run's params and cutoff.

    The trigger form already checks types with JSON Schema; this checks what it cannot (a known
    timeframe, a history start before the cutoff, no duplicate symbol) and raises
    :class:`ConfigError` naming the param.

    :param params: ``symbols`` (list of str), ``timeframe``, ``history_start`` (YYYY-MM-DD),
        ``timesteps`` (int), ``seeds`` (list of int), ``promote`` (bool).
    :param cutoff_ms: the run's logical date (or trigger time), ms UTC.
    :param exchange: ccxt exchange id of the candles.
    :param run_label: identifies the run in MLflow tags (the Airflow run id).
    """
    symbols = parse_symbols(params.get("symbols"))
    try:
        timeframe = Timeframe.parse(str(params.get("timeframe")))
    except UnknownTimeframeError as exc:
        raise ConfigError(f"param timeframe: {exc}") from None
    try:
        since_ms = timeframe.ceil(parse_instant_ms(str(params.get("history_start"))))
    except ValueError as exc:
        raise ConfigError(f"param history_start: {exc}") from None
    until_ms = timeframe.last_closed_open_ms(cutoff_ms)
    if since_ms > until_ms:
        raise ConfigError(
            f"param history_start {params.get('history_start')!r} is after the last {timeframe} candle "
            f"closed at the run's cutoff ({format_ms(cutoff_ms)} UTC)"
        )
    timesteps = params.get("timesteps")
    if not isinstance(timesteps, int) or isinstance(timesteps, bool) or timesteps < 1:
        raise ConfigError(f"param timesteps must be a positive integer, got {timesteps!r}")
    seeds = params.get("seeds")
    if not isinstance(seeds, Sequence) or not seeds or not all(_is_int(seed) for seed in seeds):
        raise ConfigError(f"param seeds must be a non-empty list of integers, got {seeds!r}")
    promote = params.get("promote")
    if not isinstance(promote, bool):
        raise ConfigError(f"param promote must be true or false, got {promote!r}")
    return [
        SeriesJob(
            exchange,
            symbol,
            timeframe.name,
            since_ms,
            until_ms,
            cutoff_ms,
            timesteps,
            tuple(int(seed) for seed in seeds),
            promote,
            run_label,
        )
        for symbol in symbols
    ]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_symbols(value: object) -> list[str]:
    """The ``symbols`` param as a list of unified spot symbols; ConfigError naming what is wrong."""
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise ConfigError(f"param symbols must be a non-empty list like ['BTC/USDT'], got {value!r}")
    symbols = [str(symbol) for symbol in value]
    bad = [symbol for symbol in symbols if not re.fullmatch(SYMBOL_PATTERN, symbol)]
    if bad:
        raise ConfigError(
            f"param symbols: {', '.join(repr(symbol) for symbol in bad)} "
            f"{'is not a unified spot symbol' if len(bad) == 1 else 'are not unified spot symbols'}: "
            "write BASE/QUOTE in capital letters and digits, e.g. BTC/USDT, one per line"
        )
    duplicates = sorted({symbol for symbol in symbols if symbols.count(symbol) > 1})
    if duplicates:
        raise ConfigError(f"param symbols lists {duplicates} more than once")
    return symbols

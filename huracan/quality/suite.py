"""The expectation suite ``expectations/candles.json`` in an ephemeral Great Expectations context.

The context, the pandas batch definition and the suite (one variant per purpose, see
``meta.severity_by_purpose`` in the JSON) are built once per process and suite file; each validation
only passes its dataframe and parameters at run time, so the fixed cost of GX is paid once. The
Airflow GX provider is not used (it does not install with Airflow 3.3); GX is called directly.

The batch GX validates is :func:`gx_frame` of a candle frame: ``open_time_ms`` (ms UTC, int64),
``open, high, low, close`` (quote currency), ``volume`` (base asset) and three derived columns the
built-in expectations need: ``grid_offset_ms`` (open time mod the timeframe, 0 on the grid),
``body_high`` (max(open, close)) and ``body_low`` (min(open, close)). Pair checks ignore rows with a
missing value: NaNs are reported by the ``*_not_null`` checks only.
"""

from __future__ import annotations

import copy
import importlib.metadata
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from huracan.errors import ConfigError
from huracan.quality.thresholds import Purpose
from huracan.series import CANDLE_COLUMNS

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations.core import ExpectationSuiteValidationResult

log = logging.getLogger(__name__)

#: Every check the suite must hold; a suite file missing one is refused, so no check can be dropped.
REQUIRED_CHECKS: tuple[str, ...] = (
    "open_time_not_null", "open_not_null", "high_not_null", "low_not_null", "close_not_null", "volume_not_null",
    "open_time_unique", "open_time_increasing", "open_time_on_grid",
    "high_ge_body", "low_le_body", "high_ge_low", "low_positive", "volume_non_negative",
    "min_rows", "coverage", "longest_gap", "staleness", "outliers",
)  # fmt: skip

#: Open times listed per failed column check (the counts are always complete).
PARTIAL_UNEXPECTED = 20
_RESULT_FORMAT = {
    "result_format": "SUMMARY",
    "unexpected_index_column_names": ["open_time_ms"],
    "partial_unexpected_count": PARTIAL_UNEXPECTED,
}


#: Where ``pip install`` puts the suite (pyproject.toml ``[tool.setuptools.data-files]``), under the prefix.
INSTALLED_SUITE = "share/huracan/expectations/candles.json"


def default_suite_path() -> Path:
    """``expectations/candles.json`` of the source checkout this package is imported from; in an installed
    package without a checkout, the copy the install put under its prefix (found in the package's RECORD)."""
    checkout = Path(__file__).resolve().parents[2] / "expectations" / "candles.json"
    if checkout.is_file():
        return checkout
    try:
        files = importlib.metadata.distribution("huracan").files or []
    except importlib.metadata.PackageNotFoundError:
        return checkout
    installed = next((f for f in files if f.as_posix().endswith(INSTALLED_SUITE)), None)
    return Path(str(installed.locate())).resolve() if installed is not None else checkout


def load_suite_json(path: Path) -> dict[str, Any]:
    """The suite file as a dict; :class:`ConfigError` if it is missing, not JSON or lacks a required check."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"expectation suite {path} not found; set HURACAN_QUALITY_SUITE_PATH to expectations/candles.json"
        ) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"expectation suite {path} is not readable JSON: {exc}") from exc
    names = [(item.get("meta") or {}).get("check") for item in data.get("expectations", [])]
    missing = [name for name in REQUIRED_CHECKS if name not in names]
    if missing:
        raise ConfigError(f"expectation suite {path} lacks the required checks: {', '.join(missing)}")
    unnamed = sum(name is None for name in names)
    if unnamed or len(set(names)) != len(names):
        raise ConfigError(f"expectation suite {path}: every expectation needs a distinct meta.check name")
    return data


def suite_for(data: dict[str, Any], purpose: Purpose) -> dict[str, Any]:
    """The suite dict for ``purpose``: each ``meta.severity_by_purpose[purpose]`` becomes the severity."""
    variant = copy.deepcopy(data)
    variant["name"] = f"{data.get('name', 'candles')}.{purpose.value}"
    for item in variant["expectations"]:
        override = (item.get("meta") or {}).get("severity_by_purpose", {}).get(purpose.value)
        if override is not None:
            item["severity"] = override
    return variant


@dataclass
class _Runtime:
    context: Any
    batch_definition: Any
    suites: dict[Purpose, Any]


_runtimes: dict[Path, _Runtime] = {}
_lock = threading.Lock()


def _quiet_gx() -> None:
    """Keep GX's own INFO chatter (hundreds of lines while it imports) out of our logs; call before
    importing GX. An explicitly configured level of the ``great_expectations`` logger is kept."""
    gx_logger = logging.getLogger("great_expectations")
    if gx_logger.level == logging.NOTSET:
        gx_logger.setLevel(logging.WARNING)


def _build_runtime(path: Path) -> _Runtime:
    _quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    import huracan.quality.expectations  # noqa: F401  (registers the custom expectations and metrics)

    data = load_suite_json(path)
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    batch_definition = (
        context.data_sources.add_pandas("huracan")
        .add_dataframe_asset("candles")
        .add_batch_definition_whole_dataframe("whole")
    )
    suites = {}
    for purpose in Purpose:
        try:
            suites[purpose] = context.suites.add(gx.ExpectationSuite(**suite_for(data, purpose)))
        except Exception as exc:  # GX raises pydantic or its own errors on a malformed expectation
            raise ConfigError(f"expectation suite {path} is not a valid GX 1.x suite: {exc}") from exc
    log.debug("loaded expectation suite %s into an ephemeral GX context", path)
    return _Runtime(context, batch_definition, suites)


def _runtime(path: Path) -> _Runtime:
    key = path.resolve()
    runtime = _runtimes.get(key)
    if runtime is None:
        runtime = _runtimes[key] = _build_runtime(key)
    return runtime


def gx_frame(candles: pd.DataFrame, timeframe_ms: int) -> pd.DataFrame:
    """The batch GX validates, built from a candle frame (UTC ``DatetimeIndex`` of open times).

    Rows keep their order and duplicates, so the suite sees the candles exactly as given. A missing
    open time (NaT) becomes NaN in ``open_time_ms`` (which is then float64).
    """
    import pandas as pd

    if not isinstance(candles.index, pd.DatetimeIndex):
        raise ValueError("candles must be indexed by open time (a UTC DatetimeIndex), as CandleStore.read returns")
    absent = [name for name in CANDLE_COLUMNS if name not in candles.columns]
    if absent:
        raise ValueError(f"candles lack the columns: {', '.join(absent)}")
    missing_time = candles.index.isna()
    ts = candles.index.as_unit("ms").asi8
    open_time: np.ndarray = ts.astype(np.float64) if missing_time.any() else ts
    if missing_time.any():
        open_time[missing_time] = np.nan
    columns = {name: candles[name].to_numpy(dtype=np.float64, na_value=np.nan) for name in CANDLE_COLUMNS}
    frame = pd.DataFrame({"open_time_ms": open_time, **columns}, copy=False)
    frame["grid_offset_ms"] = open_time % timeframe_ms
    # fmax/fmin skip a NaN side, so a missing price is reported once, by its *_not_null check
    frame["body_high"] = np.fmax(columns["open"], columns["close"])
    frame["body_low"] = np.fmin(columns["open"], columns["close"])
    return frame


def run_suite(
    frame: pd.DataFrame, purpose: Purpose, parameters: dict[str, Any], suite_path: Path | None = None
) -> ExpectationSuiteValidationResult:
    """Validate the batch ``frame`` (see :func:`gx_frame`) with the suite for ``purpose``.

    :param parameters: values of the suite's ``$PARAMETER`` references (range, timeframe, thresholds).
    :param suite_path: the suite file; None means :func:`default_suite_path`.
    """
    _quiet_gx()
    from great_expectations.core.run_identifier import RunIdentifier

    with _lock:
        runtime = _runtime(suite_path or default_suite_path())
        batch = runtime.batch_definition.get_batch(batch_parameters={"dataframe": frame})
        suite = runtime.suites[purpose]
        result = batch.validate(suite, expectation_parameters=parameters, result_format=_RESULT_FORMAT)
    run_id = RunIdentifier(run_name=f"huracan {purpose.value}")
    result.meta["run_id"] = run_id
    result.meta["validation_time"] = run_id.run_time
    result.meta["expectation_suite_name"] = result.suite_name
    return result


def render_data_docs(result: ExpectationSuiteValidationResult) -> str:
    """The GX Data Docs page (HTML) of one validation result, with GX's own renderers."""
    _quiet_gx()
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    with _lock:
        document = ValidationResultsPageRenderer().render(result)
        return DefaultJinjaPageView().render(document)

"""Render ``docs/features.md`` from the feature catalog: ``python -m huracan.features.docs > docs/features.md``.

A test compares the file with :func:`render` so the table never drifts from the code.
"""

from __future__ import annotations

from huracan.features.catalog import FEATURE_CLIP, LOOKBACK_ROWS, MARKET_FEATURES, N_MARKET_FEATURES, WARMUP_ROWS
from huracan.features.observation import EXPOSURE_LEVELS, N_OBS, POSITION_FEATURE_NAMES

_INTRO = f"""# Observation features

Generated from `huracan/features/catalog.py` by `python -m huracan.features.docs > docs/features.md`;
do not edit by hand (a test compares the two).

An observation has {N_OBS} float32 values: {N_MARKET_FEATURES} market features (columns 0..{N_MARKET_FEATURES - 1}),
built by `huracan.features.market.build_market_features` from the candles, and 3 position features
(columns {N_MARKET_FEATURES}..{N_OBS - 1}) added by the env from the exposure level.

- **Decision time.** Row t describes the market when candle t has closed (open time + timeframe). It
  uses candles t - window + 1 .. t only: no later candle (no look-ahead), nothing fitted on the data.
- **Warm-up.** A full row needs the last {LOOKBACK_ROWS} candles, so rows 0..{WARMUP_ROWS - 1} are NaN
  and row {WARMUP_ROWS} (`WARMUP_ROWS`) is the first finite one; every later row is finite (enforced).
  The env starts episodes at or after it.
- **Exact locality.** Rolling statistics are computed from their window's values alone (binary
  doubling, no prefix sums), so features built on just the last {LOOKBACK_ROWS} candles equal, bit for
  bit, those built on the whole history: live inference sees what the backtest saw.
- **Scale.** Every column is `clip(scale * formula, -{FEATURE_CLIP:g}, {FEATURE_CLIP:g})`. Formulas are
  scale-free: multiplying every price (or every volume) by a constant leaves them unchanged.
- **Notation.** O, H, L, C, V: open, high, low, close (quote currency), volume (base asset) of candle t;
  `C_t-h` the close h candles earlier; `r = ln(C_t / C_t-1)`; `over w`: the trailing w rows; std is the
  population standard deviation; a ratio with a zero denominator takes the fallback given (0 if none).
  Window = number of candles the value depends on, the current one included.

## Market features
"""

_LEVELS = ", ".join(f"{x:g}" for x in EXPOSURE_LEVELS)
_POSITION = f"""
## Position features

A function of the exposure level index alone (6 values), so that a backtester can evaluate a policy
for every position in one batched forward pass (`huracan.features.observation.observations_all_positions`).

| index | name | formula | values |
|---|---|---|---|
| {N_MARKET_FEATURES} | {POSITION_FEATURE_NAMES[0]} | target exposure of the level, fraction of equity | {_LEVELS} |
| {N_MARKET_FEATURES + 1} | {POSITION_FEATURE_NAMES[1]} | 1 at level 0 (all cash), else 0 | 0, 1 |
| {N_MARKET_FEATURES + 2} | {POSITION_FEATURE_NAMES[2]} | 1 at level 5 (all in), else 0 | 0, 1 |
"""


def render() -> str:
    """The content of ``docs/features.md``."""
    rows = ["| index | name | group | formula | window | scale |", "|---|---|---|---|---|---|"]
    for index, spec in enumerate(MARKET_FEATURES):
        formula = spec.formula.replace("|", "\\|")
        rows.append(f"| {index} | {spec.name} | {spec.group} | {formula} | {spec.window} | {spec.scale:g} |")
    return _INTRO + "\n" + "\n".join(rows) + "\n" + _POSITION


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")

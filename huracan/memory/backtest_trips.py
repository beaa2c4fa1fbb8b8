"""Round trips of a backtest: the replay's own fills (:attr:`BacktestResult.fill_path
<huracan.trading.backtest.BacktestResult.fill_path>`) as execution fills, through the one round-trip
derivation (:func:`huracan.memory.round_trips.round_trips`).

Each fill of the replay becomes a :class:`~huracan.execution.orders.Fill` at the open of the candle after
its decision (ms UTC), valued at the replay's reference price (the open, or a maker's limit) with the
whole trading cost (fee, spread and slippage, quote) as its fee, so a trip's profit is exactly what the
replay's cash gained over it. The entry observation is the one the policy saw when it decided to enter:
the decision row's market features with a flat position.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from huracan.execution.orders import Fill
from huracan.features.catalog import N_MARKET_FEATURES
from huracan.features.observation import observation
from huracan.memory.round_trips import RoundTrip, round_trips
from huracan.risk.intent import Side

if TYPE_CHECKING:
    from huracan.trading.backtest import BacktestResult
    from huracan.trading.market_data import MarketData


def backtest_account(model_name: str | None, model_version: str | None, run_id: str | None = None) -> str:
    """The trade memory's account of a model's backtests: ``backtest:<name>/<version>``, or
    ``backtest:run-<run id>`` for an unregistered model, or ``backtest`` for a rule."""
    if model_name and model_version:
        return f"backtest:{model_name}/{model_version}"
    return f"backtest:run-{run_id}" if run_id else "backtest"


def replay_fills(result: BacktestResult, data: MarketData, symbol: str, account: str) -> list[Fill]:
    """The fills ``result``'s replay made (none after a ruin), in order; trade ids ``<account>-<n>``."""
    path = result.fill_path
    if path is None:
        raise ValueError(f"the backtest {result.name!r} is an aggregate of runs and has no fills of its own")
    if data.open_time_ms is None:
        raise ValueError("the backtest's MarketData has no open times; build it with MarketData.from_candles")
    n = int(np.searchsorted(path.steps, result.n_steps))
    positions = np.concatenate([[0.0], path.position_base[:n]])
    fills = []
    for i in range(n):
        row = result.start_row + int(path.steps[i])
        change = float(positions[i + 1] - positions[i])
        cost = float(path.costs_quote[i])
        fills.append(
            Fill(
                trade_id=f"{account}-{i}",
                client_order_id=f"{account}-{i}",
                account=account,
                symbol=symbol,
                side=Side.BUY if change > 0 else Side.SELL,
                qty_base=abs(change),
                price_quote=float(path.reference_quote[i]),
                reference_quote=float(path.reference_quote[i]),
                fee_quote=cost,
                cost_quote=cost,
                maker=bool(path.maker[i]),
                ts_ms=int(data.open_time_ms[row + 1]),
            )
        )
    return fills


def backtest_round_trips(
    result: BacktestResult,
    data: MarketData,
    symbol: str,
    *,
    model_name: str | None = None,
    model_version: str | None = None,
    run_id: str | None = None,
) -> list[RoundTrip]:
    """The closed round trips of ``result`` (source ``backtest``) with excursions from ``data``'s candles
    and the entry observations; a position still open at the window's end is not one."""
    account = backtest_account(model_name, model_version, run_id)
    fills = replay_fills(result, data, symbol, account)
    times = np.asarray(data.open_time_ms)
    candles = None
    if data.low_quote is not None and data.high_quote is not None:
        candles = (times, data.low_quote, data.high_quote)
    trips = round_trips(fills, timeframe=data.timeframe.name, source="backtest", candles=candles)
    decision_row = {int(times[i]): i - 1 for i in range(1, len(times))}  # fill time -> the row that decided
    return [
        RoundTrip(
            **{
                **trip.__dict__,
                "model_name": model_name,
                "model_version": model_version,
                "entry_obs": observation(data.features[decision_row[trip.entry_ms], :N_MARKET_FEATURES], 0),
            }
        )
        for trip in trips
    ]

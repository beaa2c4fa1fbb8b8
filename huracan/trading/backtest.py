"""Deterministic backtest replay: a table of decisions walked through the env's own accounting.

A backtest is the trading env run over one window without resets. What the agent does at row t depends
only on row t's market features and on the level it holds (the observation has nothing else), so a
policy is first turned into an :data:`ActionTable` (``table[t, j]``: the action at row t when holding
level j; :func:`huracan.rl.batch_policy.policy_action_table` builds one with batched forward passes) and
:func:`replay` then walks the candles, choosing the row for the current level.

The accounting is the env's (:class:`huracan.trading.env.TradingEnv`), operation for operation: a level
change at row t is traded by :meth:`CostModel.rebalance <huracan.trading.costs.CostModel.rebalance>`
at the open of row t + 1 against the volume of row t, and equity is ``cash + position * close`` at the
close of row t + 1; a repeated level places no order. The replay stops, as the env terminates, at the
first step whose equity is at or below ``config.ruin_equity_frac * config.initial_equity_quote``
(:attr:`BacktestResult.ruined`). ``tests/trading/test_backtest.py`` proves the equity curve is bit for bit
the env's. Only the level path is walked in Python; orders (level changes) are priced one by one, and
the equity between orders is computed for all candles at once, which is exact because cash and position
do not change between orders.

Metrics: :mod:`huracan.trading.metrics` (formulas and the definition of a trade).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from huracan.features.observation import EXPOSURE_LEVELS, N_POSITIONS
from huracan.trading import accounting
from huracan.trading.config import EnvConfig
from huracan.trading.costs import BUY, SELL
from huracan.trading.execution_policy import Candle, ExecutionKind, ExecutionPolicy, advance, place
from huracan.trading.market_data import MarketData
from huracan.trading.metrics import compute_metrics, count_orders

TAKER = ExecutionPolicy()
"""The default policy: every order a market order at the next open, as the env trains."""

ActionTable = np.ndarray
"""(n_rows, 6) integer array: ``table[t, j]`` is the action (0..5, the level to hold) chosen at row t
when holding level j. Only the rows of the replayed window are read; the others may hold anything."""


class FillStats(NamedTuple):
    """How a replay's orders (level changes) were executed.

    :param orders: orders placed (level changes, starting from flat), before any ruin.
    :param taker_fills: fills as a taker (market orders at an open, incl. maker_first's fallback).
    :param maker_fills: fills of post-only limit orders at their limit.
    :param skipped: ``maker_first`` orders dropped by the ``skip`` fallback.
    :param replaced: orders still working when a new decision replaced them.
    :param maker_fees_saved_quote: for each maker fill, what the same quantity would have cost as a taker at
        the limit price (taker fee, half the spread and slippage against the previous volume) minus the
        maker fee paid: the saving against taking at the same moment, quote.
    """

    orders: int
    taker_fills: int
    maker_fills: int
    skipped: int
    replaced: int
    maker_fees_saved_quote: float = 0.0

    @property
    def missed(self) -> int:
        """Orders that never filled: skipped or replaced before filling."""
        return self.skipped + self.replaced


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """One replay over a window of k steps (decision rows ``start_row .. start_row + k - 1``).

    :param name: what was replayed: ``"model"``, ``"buy_and_hold"``, ``"flat"``, ``"sma_crossover"``, ``"random"``.
    :param times_ms: (k+1,) int64 ms UTC: the close time of row ``start_row`` (the first decision time,
        where equity is the initial capital), then the close time at which each step is marked.
    :param equity_quote: (k+1,) float64 equity, quote currency, marked at those closes.
    :param levels: (k,) int64 level (0..5, exposure ``EXPOSURE_LEVELS[level]``) held after each decision.
    :param metrics: the keys of :data:`huracan.trading.metrics.METRIC_KEYS`, Python floats: returns and
        drawdown as fractions (not percents, max_drawdown positive), money in quote currency.
    :param costs_quote: (k,) float64 trading costs paid at each step (fees, spread, slippage), quote
        currency; 0 where no order was placed.
    :param start_row: first decision row of the window.
    :param ruined: the replay stopped early because equity fell to the ruin level of the config.
    :param runs: for an aggregate (the random agent), the result of each seed; empty otherwise.
    :param fills: how the orders were executed (all taker fills under the default policy).
    :param fill_path: every fill of the replay in order (its step, cash and position after it, its cost,
        the price it is valued at); fills at steps >= ``n_steps`` came after a ruin and were not made.
        None for an aggregate (the random agent).
    """

    name: str
    times_ms: np.ndarray
    equity_quote: np.ndarray
    levels: np.ndarray
    metrics: dict[str, float]
    costs_quote: np.ndarray = field(default_factory=lambda: np.zeros(0))
    start_row: int = 0
    ruined: bool = False
    runs: tuple[BacktestResult, ...] = ()
    fills: FillStats | None = None
    fill_path: _Fills | None = None

    def __post_init__(self) -> None:
        k = len(self.levels)
        if len(self.times_ms) != k + 1 or len(self.equity_quote) != k + 1:
            raise ValueError(
                f"times and equity need {k + 1} points for {k} steps, got {len(self.times_ms)}, {len(self.equity_quote)}"
            )
        for array in (self.times_ms, self.equity_quote, self.levels, self.costs_quote):
            array.flags.writeable = False

    @property
    def n_steps(self) -> int:
        """Number of decisions replayed (k)."""
        return len(self.levels)

    @property
    def n_orders(self) -> int:
        """Number of orders placed: level changes, starting from flat (the env's ``orders``)."""
        return count_orders(self.levels)


def check_window(data: MarketData, start_row: int, end_row: int) -> None:
    """Raise ValueError unless ``first_row <= start_row < end_row <= n_rows - 1``."""
    last = data.n_rows - 1
    if not data.first_row <= start_row < end_row <= last:
        raise ValueError(
            f"need first_row ({data.first_row}) <= start_row < end_row <= n_rows - 1 ({last}), "
            f"got start_row={start_row}, end_row={end_row}"
        )


def window_times_ms(data: MarketData, start_row: int, k: int) -> np.ndarray:
    """The k + 1 mark times (ms UTC) of k steps from ``start_row``: the close of rows ``start_row .. start_row + k``."""
    if data.open_time_ms is None:
        raise ValueError("this MarketData has no open times; build it with MarketData.from_candles")
    return np.asarray(data.open_time_ms[start_row : start_row + k + 1], dtype=np.int64) + data.timeframe.ms


def window_rows(data: MarketData, start_ms: int | None = None, end_ms: int | None = None) -> tuple[int, int]:
    """The decision rows ``[start_row, end_row)`` whose decision time lies in ``[start_ms, end_ms)``.

    Row t decides at the close of candle t (``open_time[t] + timeframe``) and its order fills at the open
    of candle t + 1, so every candle the replay earns or loses on opens inside ``[start_ms, end_ms)``.
    Rows are also limited to the decisions the data allows: ``first_row .. n_rows - 2``.

    :param start_ms: window start, ms UTC; ``None``: from the first decision row (after the warm-up).
    :param end_ms: window end (exclusive), ms UTC; ``None``: to the last candle.
    :return: ``(start_row, end_row)``, end exclusive, at least one decision; raises ValueError if the
        window holds none.
    """
    if data.open_time_ms is None:
        raise ValueError("this MarketData has no open times; build it with MarketData.from_candles")
    decision_ms = data.open_time_ms + data.timeframe.ms
    start_row = data.first_row
    end_row = data.n_rows - 1
    if start_ms is not None:
        start_row = max(start_row, int(np.searchsorted(decision_ms, start_ms, side="left")))
    if end_ms is not None:
        end_row = min(end_row, int(np.searchsorted(decision_ms, end_ms, side="left")))
    if start_row >= end_row:
        raise ValueError(f"no decision row in the window [{start_ms}, {end_ms}) ms of this data")
    return start_row, end_row


def walk_levels(actions: ActionTable, start_row: int, end_row: int, initial_level: int = 0) -> np.ndarray:
    """The level held after each decision of rows ``start_row .. end_row - 1`` when following ``actions``
    from ``initial_level``: ``level_t = actions[t, level_{t-1}]``. Int64 (end_row - start_row,)."""
    window = np.asarray(actions[start_row:end_row])
    if window.ndim != 2 or window.shape[1] != N_POSITIONS:
        raise ValueError(f"an action table must have shape (n_rows, {N_POSITIONS}), got {np.shape(actions)}")
    if window.dtype.kind not in "iu":
        raise ValueError(f"an action table must hold integers, got dtype {window.dtype}")
    if len(window) and (window.min() < 0 or window.max() >= N_POSITIONS):
        raise ValueError(f"actions must be in 0..{N_POSITIONS - 1}")
    first = window[:, :1]
    if (window == first).all():  # decisions do not depend on the position: no walk needed
        return window[:, 0].astype(np.int64)
    flat = window.ravel().tolist()
    out = [0] * len(window)
    level = int(initial_level)
    base = 0
    for i in range(len(window)):
        level = flat[base + level]
        out[i] = level
        base += N_POSITIONS
    return np.array(out, dtype=np.int64)


def replay_levels(
    data: MarketData,
    levels: np.ndarray,
    start_row: int,
    config: EnvConfig,
    name: str = "model",
    policy: ExecutionPolicy = TAKER,
) -> BacktestResult:
    """Replay a given level path: ``levels[i]`` is held after the decision at row ``start_row + i``.

    :param levels: (k,) integers in 0..5, k >= 1, ``start_row + k <= n_rows - 1``.
    :param config: initial capital, cost model and ruin level (episode settings and reward shaping are
        not used: the window is the episode).
    :param policy: how orders execute (:mod:`huracan.trading.execution_policy`); taker by default, as
        the env trains.
    """
    levels = np.asarray(levels, dtype=np.int64)
    k = len(levels)
    check_window(data, start_row, start_row + k)
    if levels.min() < 0 or levels.max() >= N_POSITIONS:
        raise ValueError(f"levels must be in 0..{N_POSITIONS - 1}")
    rows = np.arange(start_row, start_row + k)
    orders = np.flatnonzero(np.diff(levels, prepend=0) != 0)
    if policy.kind is ExecutionKind.TAKER:
        fills = _taker_fills(data, levels, rows, orders, config)
    else:
        fills = _policy_fills(data, levels, start_row, orders, config, policy)
    initial = float(config.initial_equity_quote)
    costs = np.zeros(k)
    costs[fills.steps] = fills.costs_quote
    paid = [0.0] * (len(fills.steps) + 1)  # costs paid up to each fill, summed in order as the env does
    total = 0.0
    for i, cost in enumerate(fills.costs_quote.tolist()):
        total += cost
        paid[i + 1] = total
    # Slot of the last fill at or before each step; slot 0 is the start (no fill yet).
    slot = np.zeros(k, dtype=np.int64)
    slot[fills.steps] = np.arange(1, len(fills.steps) + 1)
    np.maximum.accumulate(slot, out=slot)
    pos_path = np.concatenate([[0.0], fills.position_base])
    _, marked = accounting.mark(
        np.concatenate([[initial], fills.cash_quote])[slot], pos_path[slot], data.close_quote[rows + 1]
    )
    equity = np.empty(k + 1)
    equity[0] = initial
    equity[1:] = marked
    ruin = np.flatnonzero(accounting.ruined(equity[1:], config.ruin_equity_frac * initial))
    ruined = len(ruin) > 0
    if ruined:
        k = int(ruin[0]) + 1
        equity, levels, costs = equity[: k + 1], levels[:k], costs[:k]
    n_fills = int(np.searchsorted(fills.steps, k))  # fills before the replay ended
    traded_quote = float(np.dot(np.abs(np.diff(pos_path))[:n_fills], fills.reference_quote[:n_fills]))
    metrics = compute_metrics(equity, levels, data.timeframe, paid[n_fills], traded_quote)
    return BacktestResult(
        name=name,
        times_ms=window_times_ms(data, start_row, k),
        equity_quote=equity,
        levels=levels.copy(),
        metrics=metrics,
        costs_quote=costs,
        start_row=start_row,
        ruined=ruined,
        fills=fills.stats(k, orders),
        fill_path=fills,
    )


class _Fills(NamedTuple):
    """The fills of a replay, in order: the step of each (increasing; the fill is in the candle after the
    step's decision row), cash and position after it, its cost, the price it is valued at (open or limit),
    whether it was a maker fill and what it saved against a taker fill; and the steps at which orders
    were skipped or replaced before filling."""

    steps: np.ndarray
    cash_quote: np.ndarray
    position_base: np.ndarray
    costs_quote: np.ndarray
    reference_quote: np.ndarray
    maker: np.ndarray
    saved_quote: np.ndarray
    skipped_steps: np.ndarray
    replaced_steps: np.ndarray

    def stats(self, k: int, orders: np.ndarray) -> FillStats:
        """The counts over the first k steps (all of them unless ruin cut the replay)."""
        n = int(np.searchsorted(self.steps, k))
        makers = int(np.count_nonzero(self.maker[:n]))
        return FillStats(
            orders=int(np.searchsorted(orders, k)),
            taker_fills=n - makers,
            maker_fills=makers,
            skipped=int(np.searchsorted(self.skipped_steps, k)),
            replaced=int(np.searchsorted(self.replaced_steps, k)),
            maker_fees_saved_quote=float(self.saved_quote[:n].sum()),
        )


_NO_STEPS = np.zeros(0, dtype=np.int64)


def _taker_fills(
    data: MarketData, levels: np.ndarray, rows: np.ndarray, orders: np.ndarray, config: EnvConfig
) -> _Fills:
    """Every order fills at the next open: the fast path of :func:`~huracan.trading.execution_policy.advance`
    for market orders (one :func:`accounting.fill` per order, nothing else to decide)."""
    costs = config.costs
    next_open = data.open_quote[rows[orders] + 1]
    volume = data.volume_base[rows[orders]].tolist()
    targets = [EXPOSURE_LEVELS[level] for level in levels[orders].tolist()]
    n = len(orders)
    cash_after, pos_after, step_costs = [0.0] * n, [0.0] * n, [0.0] * n
    cash, pos = float(config.initial_equity_quote), 0.0
    for i, ref in enumerate(next_open.tolist()):
        cash, pos, cost = accounting.fill(costs, cash, pos, targets[i], ref, volume[i])
        cash_after[i], pos_after[i], step_costs[i] = cash, pos, cost
    none = np.zeros(n)
    return _Fills(
        orders,
        np.array(cash_after),
        np.array(pos_after),
        np.array(step_costs),
        next_open,
        none.astype(bool),
        none,
        _NO_STEPS,
        _NO_STEPS,
    )


def _policy_fills(
    data: MarketData, levels: np.ndarray, start_row: int, orders: np.ndarray, config: EnvConfig, policy: ExecutionPolicy
) -> _Fills:
    """Walk each order through :func:`~huracan.trading.execution_policy.advance`, candle by candle, until it
    fills, is dropped, or the next decision replaces it."""
    if data.high_quote is None or data.low_quote is None:
        raise ValueError(
            "a maker_first replay needs the candles' highs and lows; build the MarketData with from_candles"
        )
    costs = config.costs
    o, h, lo, c, v = (
        a.tolist() for a in (data.open_quote, data.high_quote, data.low_quote, data.close_quote, data.volume_base)
    )
    bounds = [*orders.tolist(), len(levels)]
    targets = [EXPOSURE_LEVELS[level] for level in levels[orders].tolist()]
    rec: dict[str, list] = {name: [] for name in _Fills._fields}
    cash, pos = float(config.initial_equity_quote), 0.0
    for n, first in enumerate(bounds[:-1]):
        working = place(policy, costs, cash, pos, targets[n], c[start_row + first])
        if working is None:
            continue
        for step in range(first, bounds[n + 1]):
            row = start_row + step
            adv = advance(
                policy, costs, working, cash, pos, Candle(o[row + 1], h[row + 1], lo[row + 1], c[row + 1], v[row])
            )
            working = adv.next_order
            if adv.skipped:
                rec["skipped_steps"].append(step)
            if adv.filled is not None:
                saved = 0.0
                if adv.filled == "maker":  # the same quantity taken at the same price instead
                    side = BUY if adv.position_base > pos else SELL
                    taken = costs.fill(side, abs(adv.position_base - pos), adv.reference_quote, v[row])
                    saved = taken.cost_quote - adv.cost_quote
                cash, pos = adv.cash_quote, adv.position_base
                for name, value in zip(
                    _Fills._fields[:7],
                    (step, cash, pos, adv.cost_quote, adv.reference_quote, adv.filled == "maker", saved),
                    strict=True,
                ):
                    rec[name].append(value)
            if working is None:
                break
        else:
            if working is not None and n + 1 < len(orders):
                rec["replaced_steps"].append(bounds[n + 1])
    return _Fills(
        *(
            np.array(rec[name], dtype=np.int64) if name.endswith("steps") else np.array(rec[name])
            for name in _Fills._fields
        )
    )


def replay(
    data: MarketData,
    actions: ActionTable,
    start_row: int,
    end_row: int,
    config: EnvConfig,
    name: str = "model",
    policy: ExecutionPolicy = TAKER,
) -> BacktestResult:
    """Replay the decisions of ``actions`` over rows ``start_row .. end_row - 1``, starting flat with
    ``config.initial_equity_quote`` in cash.

    Gives exactly the equity (bit for bit), costs and levels of :class:`~huracan.trading.env.TradingEnv`
    reset at ``start_row`` and stepped with ``actions[t, level]`` until ``end_row`` (or ruin).

    :param data: the candles' arrays; they must carry open times (:meth:`MarketData.from_candles`).
    :param actions: an :data:`ActionTable` over all rows of ``data``.
    :param start_row: first decision row, >= ``data.first_row``.
    :param end_row: one past the last decision row, <= ``data.n_rows - 1`` (the last fill needs a next
        candle); :func:`window_rows` gives both for a time window.
    :param config: initial capital, cost model and ruin level (episode settings and reward shaping are
        not used: the window is the episode).
    :param name: the result's name.
    :param policy: how orders execute; taker (the env's) by default. The decisions (levels) do not depend
        on it: the observation holds the target level, not the fills.
    """
    if np.ndim(actions) != 2 or len(actions) != data.n_rows:
        raise ValueError(f"an action table must have shape ({data.n_rows}, {N_POSITIONS}), got {np.shape(actions)}")
    check_window(data, start_row, end_row)
    levels = walk_levels(actions, start_row, end_row)
    return replay_levels(data, levels, start_row, config, name, policy)

"""One candle close for one account: settle, observe, decide, risk-check, order, record.

:func:`step` is what the live tick (:mod:`huracan.live.tick`) and the replay over history
(:mod:`huracan.live.replay`, ``huracan paper-run``) both run at every candle close, so a replay proves
what the live side does. At the close of candle t:

1. the broker settles candle t: the order decided at the previous close works through it
   (:meth:`PaperBroker.settle <huracan.execution.paper.PaperBroker.settle>`) and the book is marked at
   its close; the risk manager observes the account (a new day, the high-water mark, the breaker);
2. the observation of row t is built by the one builder (:func:`huracan.features.observation.observation`:
   the 77 market features of row t and the level the book targets), and the policy picks an action
   deterministically (the most probable one, decided as the backtester's action table decides it:
   :func:`huracan.rl.batch_policy.policy_action`);
3. a new level becomes an order to its target exposure through the risk manager
   (:meth:`PaperBroker.decide`); the same level places nothing (the env's rule);
4. the decision is recorded once per account, symbol, timeframe and decision time
   (:class:`huracan.live.decisions.DecisionStore`): a repeated step returns the recorded decision and
   changes nothing.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from huracan.execution.broker import Broker
from huracan.execution.paper import Bar, Placed
from huracan.features.observation import EXPOSURE_LEVELS, observation
from huracan.live.decisions import Decision, DecisionStore
from huracan.rl.batch_policy import policy_action

if TYPE_CHECKING:
    from huracan.execution.orders import Fill
    from huracan.rl.batch_policy import Decider


class Model(NamedTuple):
    """The model a step decides with: its role (``champion``, ``challenger``, ``replay``), registered name
    and version (``None`` for an unregistered one), URI and loaded policy (one PPO, or an ensemble of seeds)."""

    role: str
    name: str | None
    version: str | None
    uri: str
    policy: Decider

    @property
    def source(self) -> str:
        """The risk manager's source: ``model:<name>/<version>``."""
        return f"model:{self.name or 'unregistered'}/{self.version or self.uri.rsplit('/', 1)[-1]}"


class Stepped(NamedTuple):
    """One step's outcome: the decision recorded, the fills of the settled candle, the order placed (if any)
    and whether this call made the decision (False: it was recorded before, nothing changed)."""

    decision: Decision
    fills: list[Fill]
    placed: Placed | None
    new: bool


def level_of(target_frac: float | None) -> int:
    """The level (0..5) whose exposure is ``target_frac``; 0 (flat) before any decision."""
    if target_frac is None:
        return 0
    return int(np.argmin([abs(level - target_frac) for level in EXPOSURE_LEVELS]))


def observation_sha256(obs: np.ndarray) -> str:
    """SHA-256 of the observation's float32 bytes: two ticks saw the same observation iff equal."""
    return hashlib.sha256(np.ascontiguousarray(obs, dtype=np.float32).tobytes()).hexdigest()


def step(
    broker: Broker,
    decisions: DecisionStore,
    model: Model,
    symbol: str,
    timeframe: str,
    market_row: np.ndarray,
    bar: Bar,
    prev_volume_base: float,
    close_ms: int,
) -> Stepped:
    """Run one candle close (see the module docstring) for ``broker``'s account.

    :param market_row: the 77 market features of the candle that just closed (row t).
    :param bar: that candle; ``prev_volume_base`` the volume of the one before it.
    :param close_ms: its close time, ms UTC: the decision time.
    """
    recorded = decisions.get(broker.account, symbol, timeframe, close_ms)
    if recorded is not None:
        return Stepped(recorded, [], None, False)
    broker.open_book(symbol, close_ms)
    fills = broker.settle(symbol, bar, prev_volume_base, close_ms)
    broker.observe(symbol, bar.close_quote, close_ms)
    book = broker.book(symbol)
    level = level_of(None if book is None else book.target_frac)
    obs = observation(market_row, level)
    action = policy_action(model.policy, obs)  # predict(obs, deterministic=True)'s action
    placed = None
    if action != level:
        placed = broker.decide(symbol, EXPOSURE_LEVELS[action], bar.close_quote, close_ms, close_ms, model.source)
    # a decision only records an order (it works from the next candle on): the book's equity is as settled
    decision = Decision(
        account=broker.account,
        symbol=symbol,
        timeframe=timeframe,
        decision_ms=close_ms,
        role=model.role,
        model_name=model.name,
        model_version=model.version,
        model_uri=model.uri,
        obs_sha256=observation_sha256(obs),
        action=action,
        level_before=level,
        target_frac=EXPOSURE_LEVELS[action],
        client_order_id=None if placed is None or placed.order is None else placed.order.client_order_id,
        verdict=None if placed is None or placed.decision is None else placed.decision.verdict.value,
        reasons="" if placed is None or placed.order is None else placed.order.reason,
        note="",
        equity_quote=None if book is None else book.equity_quote(bar.close_quote),
        created_ms=close_ms,
    )
    return Stepped(decisions.record(decision), fills, placed, True)

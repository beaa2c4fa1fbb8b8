"""The risk manager: every order intent passes :meth:`RiskManager.check` (or the pure :func:`evaluate`).

See ``limits.py`` for the limits and their units, ``state.py`` for the trading states, ``manager.py`` for
the checks, ``store.py`` for what is persisted and ``status.py`` for what ``huracan risk status`` shows.
"""

from huracan.risk.decision import RiskDecision, Verdict
from huracan.risk.intent import OrderIntent, Side
from huracan.risk.limits import RiskLimits
from huracan.risk.manager import PAPER_ACCOUNT, RiskManager, evaluate
from huracan.risk.reasons import Reason, ReasonCode
from huracan.risk.snapshot import AccountSnapshot, PositionMark
from huracan.risk.state import RiskState, StateChange, TradingState, observe_state
from huracan.risk.store import RiskStore

__all__ = [
    "PAPER_ACCOUNT",
    "AccountSnapshot",
    "OrderIntent",
    "PositionMark",
    "Reason",
    "ReasonCode",
    "RiskDecision",
    "RiskLimits",
    "RiskManager",
    "RiskState",
    "RiskStore",
    "Side",
    "StateChange",
    "TradingState",
    "Verdict",
    "evaluate",
    "observe_state",
]

"""What a candle-close step (:func:`huracan.live.step.step`) needs of a broker: the paper broker
(:class:`~huracan.execution.paper.PaperBroker`) and the exchange broker
(:class:`~huracan.execution.exchange.ExchangeBroker`) both provide it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from huracan.execution.orders import Fill
    from huracan.execution.paper import Bar, Placed
    from huracan.execution.store import Book
    from huracan.risk.state import RiskState


class Broker(Protocol):
    """One account's orders: open its book, settle a closed candle, show the risk manager the account,
    read the book and turn a model's target exposure (fraction of the book's equity) into an order.
    Prices in quote, times ms UTC."""

    account: str

    def open_book(self, symbol: str, now_ms: int) -> Book: ...

    def settle(self, symbol: str, bar: Bar, prev_volume_base: float, close_ms: int) -> list[Fill]: ...

    def observe(self, symbol: str, close_quote: float, close_ms: int) -> RiskState: ...

    def book(self, symbol: str) -> Book | None: ...

    def decide(
        self, symbol: str, target_frac: float, close_quote: float, decision_ms: int, data_close_ms: int, source: str
    ) -> Placed: ...

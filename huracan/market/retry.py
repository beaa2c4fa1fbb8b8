"""One retry decorator for exchange calls: transient ccxt errors only, exponential backoff with jitter.

Transient (retried): ``NetworkError`` and its subclasses ``RequestTimeout``, ``ExchangeNotAvailable``,
``DDoSProtection``, ``RateLimitExceeded``, plus ``BadResponse`` (a truncated or garbled body is a
transport failure, not an answer). Never retried: ``AuthenticationError``, ``BadSymbol``,
``BadRequest`` and every other ``ExchangeError``; those become :class:`ExchangeRequestError` at once.

When the server sends ``Retry-After`` (seconds), the next attempt waits at least that long.
After the last retry, :class:`ExchangeUnavailableError` names the exchange, the call's context
(symbol, timeframe) and the cause.
"""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ParamSpec, Protocol, TypeVar

import ccxt

from huracan.config import Settings
from huracan.errors import ExchangeRequestError, ExchangeUnavailableError, UnknownSymbolError

log = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    ccxt.NetworkError,  # parent of RequestTimeout, ExchangeNotAvailable, DDoSProtection, RateLimitExceeded
    ccxt.BadResponse,
)
PERMANENT_ERRORS: tuple[type[Exception], ...] = (ccxt.AuthenticationError, ccxt.BadSymbol, ccxt.BadRequest)


@dataclass(frozen=True)
class RetryPolicy:
    """How transient errors are retried.

    :param retries: retries after the first attempt (3 means up to 4 attempts).
    :param base_delay_s: delay before the first retry, seconds.
    :param factor: multiplier per retry (2.0 gives 1 s, 2 s, 4 s).
    :param max_delay_s: cap on any single delay, seconds (a longer ``Retry-After`` is honoured anyway).
    :param jitter_frac: each delay is stretched by a random fraction in ``[0, jitter_frac]``.
    """

    retries: int = 3
    base_delay_s: float = 1.0
    factor: float = 2.0
    max_delay_s: float = 60.0
    jitter_frac: float = 0.1

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            retries=settings.retry_attempts,
            base_delay_s=settings.retry_base_delay_s,
            factor=settings.retry_backoff_factor,
            max_delay_s=settings.retry_max_delay_s,
            jitter_frac=settings.retry_jitter_frac,
        )

    def backoff_s(self, retry_index: int) -> float:
        """Delay before retry ``retry_index`` (0-based) without jitter, seconds."""
        return min(self.base_delay_s * self.factor**retry_index, self.max_delay_s)


class Retrying(Protocol):
    """What a decorated method's owner provides."""

    exchange: ccxt.Exchange
    retry_policy: RetryPolicy
    sleep: Callable[[float], None]
    rng: random.Random


def retry_after_s(headers: Mapping[str, Any] | None) -> float | None:
    """The ``Retry-After`` header in seconds, or None when absent or not a number of seconds."""
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return max(float(value), 0.0)
            except (TypeError, ValueError):
                return None
    return None


P = ParamSpec("P")
R = TypeVar("R")


def _describe(kwargs: Mapping[str, Any]) -> str:
    parts = [f"{key}={kwargs[key]}" for key in ("symbol", "timeframe") if kwargs.get(key) is not None]
    return " ".join(parts)


def retry_transient(method: Callable[..., R]) -> Callable[..., R]:
    """Retry ``method`` of a :class:`Retrying` owner on transient ccxt errors.

    Call the method with keyword arguments ``symbol`` / ``timeframe`` where they apply: they name the
    series in log lines and in the final error.
    """

    @functools.wraps(method)
    def wrapper(self: Retrying, *args: Any, **kwargs: Any) -> R:
        policy = self.retry_policy
        what = f"{self.exchange.id} {method.__name__} {_describe(kwargs)}".rstrip()
        for attempt in range(policy.retries + 1):
            self.exchange.last_response_headers = None  # so a Retry-After read below is this attempt's
            try:
                return method(self, *args, **kwargs)
            except ccxt.BadSymbol as exc:
                raise UnknownSymbolError(f"{what}: the exchange does not list this symbol ({exc})") from exc
            except PERMANENT_ERRORS as exc:
                raise ExchangeRequestError(f"{what} rejected: {type(exc).__name__}: {exc}") from exc
            except TRANSIENT_ERRORS as exc:
                if attempt == policy.retries:
                    raise ExchangeUnavailableError(
                        f"{what} failed after {policy.retries} retries: {type(exc).__name__}: {exc}"
                    ) from exc
                delay_s = policy.backoff_s(attempt) * (1.0 + self.rng.uniform(0.0, policy.jitter_frac))
                server_wait_s = retry_after_s(getattr(self.exchange, "last_response_headers", None))
                if server_wait_s is not None and server_wait_s > delay_s:
                    delay_s = server_wait_s
                log.warning(
                    "%s: attempt %d of %d failed (%s: %s); retrying in %.2f s",
                    what,
                    attempt + 1,
                    policy.retries + 1,
                    type(exc).__name__,
                    exc,
                    delay_s,
                )
                self.sleep(delay_s)
            except ccxt.ExchangeError as exc:
                raise ExchangeRequestError(f"{what} rejected: {type(exc).__name__}: {exc}") from exc
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    return wrapper

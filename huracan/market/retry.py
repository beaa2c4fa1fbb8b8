"""One retry decorator for exchange calls: one classification of ccxt errors, exponential backoff with jitter.

ccxt's errors fall in two families under ``BaseError`` (ccxt 4.5, ``ccxt/base/errors.py``):

- **retryable**: ``OperationFailed`` and everything under it: ``NetworkError`` (``RequestTimeout``,
  ``ExchangeNotAvailable``, ``OnMaintenance``, ``DDoSProtection``, ``RateLimitExceeded``, ...),
  ``BadResponse`` (a truncated or garbled body is a transport failure, not an answer) and the bare
  ``OperationFailed`` that Binance's server-side codes map to (``-1000`` unknown error, ``-1001``
  disconnected, ``-1006`` unexpected response, often with HTTP 500). ccxt documents this family as the
  one worth retrying;
- **permanent**: ``ExchangeError`` and everything under it (``AuthenticationError``, ``BadRequest``,
  ``BadSymbol``, ``NotSupported``, ...): retrying cannot fix them. ``BadSymbol`` becomes
  :class:`UnknownSymbolError`, the rest :class:`ExchangeRequestError`, at once.

Any other ccxt error (a ``BaseError`` in neither family) is also an :class:`ExchangeRequestError` at
once: a clear one-line error, never a traceback. When the server sends ``Retry-After`` (seconds), the
next attempt waits at least that long. After the last retry, :class:`ExchangeUnavailableError` names
the exchange, the call's context (symbol, timeframe) and the cause. Every message is passed through
:func:`huracan.redaction.redact`, so credentials in ``HURACAN_EXCHANGE_URL`` never reach a log line.
"""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import ccxt

from huracan.config import Settings
from huracan.errors import ExchangeRequestError, ExchangeUnavailableError, UnknownSymbolError
from huracan.redaction import redact

log = logging.getLogger(__name__)

#: Retried: ccxt's OperationFailed family (NetworkError, BadResponse and Binance's -1000/-1001/-1006).
RETRYABLE_ERRORS: tuple[type[Exception], ...] = (ccxt.OperationFailed,)
#: Never retried: ccxt's ExchangeError family (authentication, bad request, bad symbol, ...).
PERMANENT_ERRORS: tuple[type[Exception], ...] = (ccxt.ExchangeError,)


@dataclass(frozen=True)
class RetryPolicy:
    """How transient errors are retried.

    :param retries: retries after the first attempt (3 means up to 4 attempts).
    :param base_delay_s: delay before the first retry, seconds.
    :param factor: multiplier per retry (2.0 gives 1 s, 2 s, 4 s).
    :param max_delay_s: cap on any single delay, jitter included, seconds (a longer ``Retry-After`` is
        honoured anyway).
    :param jitter_frac: each delay is stretched by a random fraction in ``[0, jitter_frac]`` (then capped).
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

    def delay_s(self, retry_index: int, jitter: float, retry_after_s: float | None = None) -> float:
        """Delay before retry ``retry_index``: the backoff stretched by ``jitter`` (a fraction drawn in
        ``[0, jitter_frac]``), capped at ``max_delay_s``, and at least the server's ``Retry-After``, seconds."""
        delay = min(self.backoff_s(retry_index) * (1.0 + jitter), self.max_delay_s)
        return max(delay, retry_after_s) if retry_after_s is not None else delay


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
S = TypeVar("S", bound=Retrying)


def _describe(kwargs: Mapping[str, Any]) -> str:
    parts = [f"{key}={kwargs[key]}" for key in ("symbol", "timeframe") if kwargs.get(key) is not None]
    return " ".join(parts)


def _cause(exc: BaseException) -> str:
    """``Type: message`` of ``exc`` on one line, secrets redacted."""
    text = " ".join(str(exc).split())
    return redact(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


def retry_transient(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Retry ``method`` of a :class:`Retrying` owner on retryable ccxt errors (its signature is kept).

    Call the method with keyword arguments ``symbol`` / ``timeframe`` where they apply: they name the
    series in log lines and in the final error.
    """

    @functools.wraps(method)
    def wrapper(self: S, *args: P.args, **kwargs: P.kwargs) -> R:
        policy = self.retry_policy
        what = redact(f"{self.exchange.id} {method.__name__} {_describe(kwargs)}".rstrip())
        for attempt in range(policy.retries + 1):
            self.exchange.last_response_headers = None  # so a Retry-After read below is this attempt's
            try:
                return method(self, *args, **kwargs)
            except ccxt.BadSymbol as exc:
                raise UnknownSymbolError(
                    f"{what}: the exchange does not list this symbol ({redact(str(exc))})"
                ) from exc
            except PERMANENT_ERRORS as exc:
                raise ExchangeRequestError(f"{what} rejected: {_cause(exc)}") from exc
            except RETRYABLE_ERRORS as exc:
                if attempt == policy.retries:
                    raise ExchangeUnavailableError(
                        f"{what} failed after {policy.retries} retries: {_cause(exc)}"
                    ) from exc
                server_wait_s = retry_after_s(getattr(self.exchange, "last_response_headers", None))
                delay_s = policy.delay_s(attempt, self.rng.uniform(0.0, policy.jitter_frac), server_wait_s)
                log.warning(
                    "%s: attempt %d of %d failed (%s); retrying in %.2f s",
                    what,
                    attempt + 1,
                    policy.retries + 1,
                    _cause(exc),
                    delay_s,
                )
                self.sleep(delay_s)
            except ccxt.BaseError as exc:  # in neither family: not retried, still one clear line
                raise ExchangeRequestError(f"{what} failed: {_cause(exc)}") from exc
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    return wrapper

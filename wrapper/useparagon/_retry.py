"""When to retry, and how long to wait: pure decisions shared by the sync and async send loops."""

from __future__ import annotations

import email.utils
import math
import random
from collections.abc import Callable

import attrs
import httpx

from ._constants import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TOTAL_DEADLINE,
    INITIAL_RETRY_DELAY,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
)
from ._errors import ConfigurationError
from ._types import safe_attrs_repr

__all__ = ["RetryPolicy", "parse_retry_after"]

# RFC 9110 §9.2.2. Repeating one of these cannot do more than the first attempt did.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
# Through the Proxy API only reading is safe to repeat: a provider's PUT or DELETE need not be idempotent.
REPLAYABLE_PROXY_METHODS = frozenset({"GET"})
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# The request provably never reached the server, so even a POST is safe to send again.
NEVER_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# email.utils drops any "Word," prefix of a date, so "Zun, 29 Sep…" would pass for a date without this check.
_DAY_NAMES = frozenset(
    {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
    | {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
)


def _validate_retries(_instance: object, _attribute: object, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(f"max_retries must be a non-negative int, got {value!r}")


def _validate_seconds(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ConfigurationError(f"{attribute.name} must be a finite, non-negative number of seconds, got {value!r}")


@attrs.frozen(repr=False)
class RetryPolicy:
    """How a client retries.

    A call that may be repeated (GET, PUT and DELETE to Paragon's own API; only GET through the Proxy API, where
    what a repeat does is the provider's business) is retried on connection errors, timeouts, 408, 429 and 5xx.
    Any other call (a write) is retried only when it certainly did not take effect: the connection was never made
    (connect errors, connect and pool timeouts), or Paragon itself refused it with 408, 429, or 503 with
    ``Retry-After``. A status relayed from a third party (a raw proxy response, or ``meta.isIntegrationError``)
    never makes a write retry. Waits are exponential with full jitter,
    ``uniform(0, min(max_delay, initial_delay * 2**n))``; a ``Retry-After`` (or ``retry-after-ms``) up to
    ``max_retry_after`` seconds is obeyed instead, and a longer one ends the call. Nothing (attempt or wait) runs
    past ``total_deadline`` seconds from the start of the call.
    """

    __repr__ = safe_attrs_repr

    max_retries: int = attrs.field(default=DEFAULT_MAX_RETRIES, validator=_validate_retries)
    initial_delay: float = attrs.field(default=INITIAL_RETRY_DELAY, validator=_validate_seconds)
    max_delay: float = attrs.field(default=MAX_RETRY_DELAY, validator=_validate_seconds)
    max_retry_after: float = attrs.field(default=MAX_RETRY_AFTER, validator=_validate_seconds)
    total_deadline: float = attrs.field(default=DEFAULT_TOTAL_DEADLINE, validator=_validate_seconds)

    def backoff(self, retries_taken: int, rand: Callable[[], float] = random.random) -> float:
        # The exponent is capped because max_retries is unbounded and 2.0**1024 overflows; 2**64 is past any cap.
        return rand() * min(self.max_delay, self.initial_delay * 2.0 ** min(retries_taken, 64))

    def delay_after_error(self, error: httpx.TransportError, retries_taken: int, *, replayable: bool) -> float | None:
        """Seconds to wait before retrying after a transport error, or None to give up.

        ``replayable``: the call may safely run twice (see the class docstring).
        """
        if retries_taken >= self.max_retries:
            return None
        if replayable or isinstance(error, NEVER_SENT_ERRORS):
            return self.backoff(retries_taken)
        return None

    def delay_after_status(
        self,
        status_code: int,
        headers: httpx.Headers,
        retries_taken: int,
        now: float,
        *,
        replayable: bool,
        from_paragon: bool = True,
    ) -> float | None:
        """Seconds to wait before retrying after an error status, or None to give up.

        ``from_paragon``: the status is Paragon's own, not a third party's relayed by the proxy.
        """
        if retries_taken >= self.max_retries or status_code not in RETRYABLE_STATUSES:
            return None
        retry_after = parse_retry_after(headers, now)
        if not replayable and not (from_paragon and _refused_unprocessed(status_code, retry_after)):
            return None
        if retry_after is None:
            return self.backoff(retries_taken)
        if retry_after > self.max_retry_after:
            return None
        return retry_after


def _refused_unprocessed(status_code: int, retry_after: float | None) -> bool:
    # 408: the server gave up before it had the whole request. 429: refused by a rate limit. 503 with Retry-After:
    # refused while unavailable. A 500, 502 or 504 may come after the work was done, Retry-After or not.
    return status_code in (408, 429) or (status_code == 503 and retry_after is not None)


def parse_retry_after(headers: httpx.Headers, now: float) -> float | None:
    """The server's requested wait in seconds, or None when absent, unparseable, zero or negative.

    ``retry-after-ms`` (milliseconds) wins over ``Retry-After``, which is either seconds or an HTTP date.
    ``now`` is the Unix time used to turn a date into a wait.
    """
    milliseconds = headers.get("retry-after-ms")  # pragma: no mutate: httpx.Headers ignore letter case
    if milliseconds is not None:
        seconds = _finite_float(milliseconds)
        if seconds is not None and seconds > 0:
            return seconds / 1000.0
    value = headers.get("retry-after")  # pragma: no mutate: httpx.Headers ignore letter case
    if value is None:
        return None
    seconds = _finite_float(value)
    if seconds is None:
        day, comma, _ = value.partition(",")
        if comma and day.strip().lower() not in _DAY_NAMES:
            return None
        try:
            when = email.utils.parsedate_to_datetime(value.strip())
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:  # HTTP dates are GMT; a naive result means the zone was missing
            return None
        seconds = when.timestamp() - now
    return seconds if seconds > 0 else None


def _finite_float(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None

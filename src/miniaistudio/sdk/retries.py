"""When the SDK repeats a request, and after how long (the policy of Stainless-built SDKs).

- 408 and 429 are always repeated: the request was refused before any work was done (the rate
  limiter answers 429 before the route runs).
- 5xx, timeouts and broken connections are repeated for requests safe to repeat: GET, PUT,
  DELETE, and every POST the client sends with an ``Idempotency-Key`` (the client gives each
  POST one, the same on its repeats): the studio keeps the first answer to a key for 24 h and
  replays it, so a repeat never does the work twice (``api/common/idempotency.py``).
  A connection that could not be opened is always repeated (nothing was sent).
- 409 is repeated only when the answer carries ``Retry-After``: the studio's 409s are state
  conflicts (``GRAPH_VERSION_CONFLICT``) that the same request cannot resolve, except
  ``IDEMPOTENCY_KEY_IN_FLIGHT`` (the first sending is still being answered), which asks for a retry.
- ``x-should-retry: true|false`` overrides the above; ``Retry-After`` (seconds or an HTTP date)
  and ``retry-after-ms`` set the delay when at most ``MAX_RETRY_AFTER`` seconds, else the
  exponential backoff applies: 0.5 s * 2^attempt, at most 8 s, less up to 25 % at random.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_MAX_RETRIES = 3
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
MAX_RETRY_AFTER = 60.0
ALWAYS_RETRIED = frozenset({408, 429})


def retry_after(headers: Mapping[str, str]) -> float | None:
    """The delay the server asked for, in seconds (None when it asked for none or nonsense)."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000
            return value if value >= 0 else None
        except ValueError:
            pass
    text = (headers.get("retry-after") or "").strip()
    if not text:
        return None
    try:
        seconds = float(text)
        return seconds if seconds >= 0 else None
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = DEFAULT_MAX_RETRIES
    initial_backoff: float = INITIAL_BACKOFF
    max_backoff: float = MAX_BACKOFF

    def backoff(self, attempt: int) -> float:
        delay: float = min(self.initial_backoff * 2.0 ** min(attempt, 10), self.max_backoff)
        return delay * (1 - 0.25 * random.random())

    def after_answer(self, attempt: int, status: int, headers: Mapping[str, str], *,
                     idempotent: bool) -> float | None:
        """Seconds to wait before repeating a request answered with ``status``, or None: don't."""
        if attempt >= self.max_retries:
            return None
        asked = retry_after(headers)
        should = (headers.get("x-should-retry") or "").lower()
        if should == "false":
            return None
        retryable = (should == "true" or status in ALWAYS_RETRIED or (status == 409 and asked is not None)
                     or (status >= 500 and idempotent))
        if not retryable:
            return None
        if asked is not None:
            return asked if asked <= MAX_RETRY_AFTER else None
        return self.backoff(attempt)

    def after_failure(self, attempt: int, *, sent: bool, idempotent: bool) -> float | None:
        """Seconds to wait before repeating a request that got no answer (``sent``: it may have
        reached the server), or None."""
        if attempt >= self.max_retries or (sent and not idempotent):
            return None
        return self.backoff(attempt)

"""Per-key rate limits with ``limits`` moving windows: N requests per window (a minute) per key.

Counters live in ``Settings.rate_limit_storage_uri``: memory in one process, Redis when several
API processes must share a key's limit. Every key-authenticated answer reports the window through
``X-RateLimit-Limit`` / ``-Remaining`` / ``-Reset`` (Unix seconds when the oldest counted request
leaves the window, GitHub's meaning); past the limit the request is refused with ``Retry-After``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ..core.errors import RateLimited

_NAMESPACE = "api-key"


@dataclass(frozen=True)
class RateLimitStatus:
    limit: int
    remaining: int
    reset_time: float  # when the oldest counted request leaves the window (Unix time)
    exceeded: bool

    @property
    def reset(self) -> int:
        return math.ceil(self.reset_time)

    def headers(self) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining),
                "X-RateLimit-Reset": str(self.reset)}

    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_time - time.time()))

    def refusal(self) -> RateLimited:
        wait = self.retry_after()
        return RateLimited(f"rate limit of {self.limit} requests per window reached; retry in {wait} s",
                           retry_after=wait)


class KeyRateLimiter:
    def __init__(self, storage_uri: str = "memory://", *, window_seconds: int = 60) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self.window_seconds = window_seconds
        self._items: dict[int, RateLimitItemPerSecond] = {}

    def _item(self, limit: int) -> RateLimitItemPerSecond:
        item = self._items.get(limit)
        if item is None:
            item = self._items[limit] = RateLimitItemPerSecond(limit, self.window_seconds)
        return item

    def hit(self, key_id: str, limit: int) -> RateLimitStatus:
        """Count one request of the key; ``exceeded`` when it is over the limit (then it is not counted)."""
        item = self._item(limit)
        accepted = self._limiter.hit(item, _NAMESPACE, key_id)
        stats = self._limiter.get_window_stats(item, _NAMESPACE, key_id)
        return RateLimitStatus(limit, stats.remaining, stats.reset_time, exceeded=not accepted)

"""When a failed webhook delivery is tried again.

The default schedule is Standard Webhooks' (``config.DEFAULT_WEBHOOK_SCHEDULE``): immediately,
then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h after each failure — ten attempts
over about 3 days and 3.5 hours — each delay scaled by a random 1 ± jitter (0.2) so receivers
coming back up are not hit by every sender at once. A 429 or 503 with ``Retry-After`` waits what
the receiver asked instead (at most a day, ``MAX_RETRY_AFTER``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

#: Answers whose Retry-After is honoured.
THROTTLING = frozenset({429, 503})
#: The longest Retry-After obeyed (a receiver cannot park a delivery for longer).
MAX_RETRY_AFTER = 86400.0


@dataclass(frozen=True)
class RetryPolicy:
    delays: tuple[float, ...]  # seconds before attempt 1, 2, ...
    jitter: float = 0.2
    rng: random.Random = field(default_factory=random.Random, compare=False)

    @property
    def max_attempts(self) -> int:
        return len(self.delays)

    def first_delay(self) -> float:
        return self.delays[0]

    def delay_after(self, attempt: int, retry_after: float | None = None) -> float | None:
        """Seconds before the next attempt once attempt ``attempt`` (1-based) failed; None when
        no attempt is left."""
        if attempt >= self.max_attempts:
            return None
        if retry_after is not None:
            return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
        delay = self.delays[attempt]
        return delay * self.rng.uniform(1 - self.jitter, 1 + self.jitter) if self.jitter else delay


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from ``Retry-After`` (delta seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value[:12]))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)

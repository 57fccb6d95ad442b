"""Throttle password guessing (sign-in and password change) without locking real users out.

Failures are counted, with moving windows (``limits``), per (account, client address) and per
client address: an attacker at one address is slowed down on every account, with growing waits
("5/minute;20/hour": a minute after 5 failures, up to an hour after 20). There is no hard
per-account limit, since anyone could use it to lock a real user out. The account-wide count
(``login_attempts_per_account_total``) is soft: when it is full, only addresses that already
failed on that account must wait; a clean address may still try, so the owner can sign in.

One attempt at a time per address: the check and the count happen around the password check,
and parallel attempts must not all pass the check before any failure is counted.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ..core.errors import TooManyLoginAttempts, Unauthorized

_NAMESPACE = "login-failures"


class LoginThrottle:
    def __init__(self, *, per_account: str, per_client: str, per_account_total: str,
                 storage_uri: str = "memory://") -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._per_pair = parse_many(per_account)
        self._per_client = parse_many(per_client)
        self._per_account_total = parse_many(per_account_total)
        self._busy: set[str] = set()
        self._busy_lock = threading.Lock()

    @contextmanager
    def attempt(self, account: str, client: str) -> Iterator[None]:
        """Guard one password check: refuse it when throttled, count it when it fails.

        The body raises :class:`Unauthorized` for a wrong password: it is counted and re-raised.
        """
        account = account.strip().lower()
        with self._one_at_a_time(client):
            self._check(account, client)
            try:
                yield
            except Unauthorized:
                self._failed(account, client)
                raise
            for limit in self._per_pair:
                self._limiter.clear(limit, _NAMESPACE, "pair", account, client)

    @contextmanager
    def _one_at_a_time(self, client: str) -> Iterator[None]:
        with self._busy_lock:
            if client in self._busy:
                raise TooManyLoginAttempts("another sign-in from your address is in progress; retry in a moment",
                                           retry_after=1)
            self._busy.add(client)
        try:
            yield
        finally:
            with self._busy_lock:
                self._busy.discard(client)

    def _check(self, account: str, client: str) -> None:
        waits = [self._wait(limit, "client", client) for limit in self._per_client]
        waits += [self._wait(limit, "pair", account, client) for limit in self._per_pair]
        failed_here = any(self._used(limit, "pair", account, client) for limit in self._per_pair)
        if failed_here:  # the soft account-wide limit only slows addresses that already failed on it
            waits += [self._wait(limit, "account", account) for limit in self._per_account_total]
        retry_after = max(waits, default=0)
        if retry_after > 0:
            raise TooManyLoginAttempts(f"too many failed sign-ins; try again in {retry_after} s",
                                       retry_after=retry_after)

    def _failed(self, account: str, client: str) -> None:
        for limit in self._per_client:
            self._limiter.hit(limit, _NAMESPACE, "client", client)
        for limit in self._per_pair:
            self._limiter.hit(limit, _NAMESPACE, "pair", account, client)
        for limit in self._per_account_total:
            self._limiter.hit(limit, _NAMESPACE, "account", account)

    def _wait(self, limit: RateLimitItem, *key: str) -> int:
        """Seconds until ``limit`` accepts one more failure under ``key`` (0: now)."""
        if self._limiter.test(limit, _NAMESPACE, *key):
            return 0
        reset = self._limiter.get_window_stats(limit, _NAMESPACE, *key).reset_time
        return max(1, math.ceil(reset - time.time()))

    def _used(self, limit: RateLimitItem, *key: str) -> bool:
        return self._limiter.get_window_stats(limit, _NAMESPACE, *key).remaining < limit.amount

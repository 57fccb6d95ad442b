"""The webhook dispatcher: an asyncio task of the studio that claims due deliveries and sends them.

Claiming takes a lease: ``pending`` rows that are due, and ``sending`` rows whose lease ran out
(their sender died — a crash or kill mid-delivery — so deliveries survive restarts), become
``sending`` until ``lease_until`` with ``attempt`` + 1. The claim selects ``FOR UPDATE SKIP
LOCKED`` (rendered where the database has it, e.g. PostgreSQL, so several dispatchers share the
work) and each row's UPDATE repeats the due condition, so a row is claimed once even where the
SELECT takes no lock (SQLite). The attempt number is the fence: an attempt's outcome is written
only while the row still carries that attempt.

Each attempt runs on a worker thread (database, name lookup, the POST: nothing blocks the loop):
a fresh timestamp and signatures, the URL and every resolved address checked, the connection made
to the checked address, no redirect followed, ``webhook_timeout_seconds`` for the whole attempt,
and at most 1 KiB of the answer kept. 2xx: delivered. 410: the endpoint is disabled. Anything
else (3xx included) is retried on the schedule (``Retry-After`` honoured on 429/503) until the
attempts run out: ``failed``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, or_, select, update

from .. import __version__
from ..core.errors import StudioError
from ..runtimes.media.url_fetch import PostAnswer, post_bytes
from ..store.db import Database
from ..store.tables import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from .webhook_retries import THROTTLING, parse_retry_after
from .webhook_signing import signature_headers
from .webhooks import Webhooks

log = logging.getLogger(__name__)

MAX_EXCERPT = 1024
USER_AGENT = f"MiniAIStudio-Webhooks/{__version__}"


@dataclass(frozen=True)
class DispatchConfig:
    timeout: float = 15.0
    lease: float = 60.0
    poll: float = 1.0
    concurrency: int = 4


@dataclass(frozen=True)
class Claim:
    delivery_id: str
    attempt: int


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    excerpt: str | None
    retry_after: float | None
    latency_ms: int


def due_condition(now: datetime) -> ColumnElement[bool]:
    """Pending and due, or being sent by a dispatcher whose lease ran out."""
    return or_(and_(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now),
               and_(WebhookDelivery.status == "sending", WebhookDelivery.lease_until < now))


def due_deliveries(now: datetime, limit: int) -> Select[str, int]:
    """The claim's SELECT: rows other dispatchers hold locked are skipped where the database can
    (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite renders no lock and has one writer)."""
    return (select(WebhookDelivery.id, WebhookDelivery.attempt).where(due_condition(now))
            .order_by(WebhookDelivery.next_attempt_at).limit(limit).with_for_update(skip_locked=True))


class WebhookDispatcher:
    def __init__(self, db: Database, webhooks: Webhooks, config: DispatchConfig) -> None:
        self.db = db
        self.webhooks = webhooks
        self.config = config
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._stopping = False

    # -- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> None:
        self._stopping = False
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self.webhooks.on_enqueued = self.wake
        self._task = asyncio.create_task(self._run(), name="webhook-dispatcher")

    async def stop(self) -> None:
        """Stop claiming; attempts in flight finish (bounded by the timeout) or are retried after
        their lease, so a stop never loses a delivery."""
        self.webhooks.on_enqueued = lambda: None
        self._stopping = True
        if self._task is not None:
            assert self._wake is not None
            self._wake.set()
            try:  # a claim under way finishes first (its thread would outlive a cancel)
                await asyncio.wait_for(asyncio.shield(self._task), 30)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=self.config.timeout + 1)

    def wake(self) -> None:
        """Look for due deliveries now (callable from any thread)."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is closing
                loop.call_soon_threadsafe(wake.set)

    async def _run(self) -> None:
        assert self._wake is not None
        while not self._stopping:
            free = self.config.concurrency - len(self._inflight)
            claimed: list[Claim] = []
            if free > 0:
                try:
                    claimed = await asyncio.to_thread(self.claim, free)
                except Exception:  # the database is busy or gone for a moment: try again later
                    log.exception("claiming webhook deliveries failed")
                for claim in claimed:
                    task = asyncio.create_task(self._deliver(claim))
                    self._inflight.add(task)
                    task.add_done_callback(self._finished)
            if claimed and len(claimed) == free:
                continue  # more may be due
            self._wake.clear()
            if self._stopping:  # set before the wake-up, so a stop between clear and wait is seen
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.config.poll)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        if self._wake is not None:
            self._wake.set()  # a slot is free

    async def _deliver(self, claim: Claim) -> None:
        try:
            await asyncio.to_thread(self.deliver, claim)
        except Exception:  # recorded nowhere else: the lease expires and the delivery is retried
            log.exception("webhook delivery %s failed unexpectedly", claim.delivery_id)

    # -- claiming ------------------------------------------------------------------------------------
    def claim(self, limit: int) -> list[Claim]:
        """Lease up to ``limit`` due deliveries to this dispatcher."""
        now = self.webhooks.clock()
        due = due_condition(now)
        lease_until = now + timedelta(seconds=self.config.lease)
        claims: list[Claim] = []
        with self.db.session() as s:
            rows = s.execute(due_deliveries(now, limit)).all()
            for delivery_id, attempt in rows:
                if attempt >= self.webhooks.retry.max_attempts:  # its last attempt died with its sender
                    s.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id, due).values(
                        status="failed", lease_until=None, next_attempt_at=None, updated_at=now,
                        last_error="attempts ran out (the last one was interrupted)"))
                    continue
                done = s.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id, due).values(
                    status="sending", attempt=attempt + 1, lease_until=lease_until, updated_at=now))
                if done.rowcount == 1:  # type: ignore[attr-defined]
                    claims.append(Claim(delivery_id, attempt + 1))
        return claims

    # -- one attempt ---------------------------------------------------------------------------------
    def deliver(self, claim: Claim) -> None:
        """Send one claimed attempt and record its outcome."""
        with self.db.session() as s:
            row = s.get(WebhookDelivery, claim.delivery_id)
            if row is None or row.status != "sending" or row.attempt != claim.attempt:
                return  # deleted with its endpoint, or taken over after the lease ran out
            event = s.get(WebhookEvent, row.event_id)
            endpoint = s.get(WebhookEndpoint, row.endpoint_id) if row.endpoint_id is not None else None
            assert event is not None
            if row.endpoint_id is not None and (endpoint is None or not endpoint.enabled):
                row.status, row.lease_until, row.next_attempt_at = "disabled", None, None
                row.updated_at = self.webhooks.clock()
                return
            url = endpoint.url if endpoint is not None else (row.target_url or "")
            try:
                if endpoint is not None:
                    secret: str | None = self.webhooks.box.open(endpoint.secret, endpoint.id)
                else:
                    secret = None if row.target_secret is None else self.webhooks.box.open(row.target_secret, row.id)
            except StudioError as exc:
                self._record(claim, Outcome(None, f"{exc.code}: {exc.message}", None, None, 0), permanent=True)
                return
            event_id, body = event.id, event.payload
        outcome = self._send(url, event_id, body, secret)
        self._record(claim, outcome)

    def _send(self, url: str, event_id: str, body: str, secret: str | None) -> Outcome:
        rules = self.webhooks.rules
        started = time.monotonic()
        timestamp = int(self.webhooks.clock().timestamp())
        headers = {"Content-Type": "application/json", "Accept-Encoding": "identity",
                   **signature_headers(secret, event_id, body, timestamp)}
        try:
            rules.check_form(url)  # settings may have changed since the URL was accepted
            answer: PostAnswer = post_bytes(url, body.encode(), headers, allow_private=rules.allow_private,
                                            timeout=self.config.timeout, max_excerpt=MAX_EXCERPT,
                                            user_agent=USER_AGENT)
        except StudioError as exc:
            return Outcome(None, f"{exc.code}: {exc.message}"[:500], None, None, _ms_since(started))
        excerpt = answer.excerpt.decode("utf-8", errors="replace")[:MAX_EXCERPT] or None
        error = None
        if 300 <= answer.status_code < 400:
            error = f"redirect not followed (Location: {answer.headers.get('location', '')[:200]})"
        retry_after = None
        if answer.status_code in THROTTLING:
            retry_after = parse_retry_after(answer.headers.get("retry-after"), self.webhooks.clock())
        return Outcome(answer.status_code, error, excerpt, retry_after, _ms_since(started))

    def _record(self, claim: Claim, outcome: Outcome, *, permanent: bool = False) -> None:
        now = self.webhooks.clock()
        code = outcome.status_code
        with self.db.session() as s:
            s.add(WebhookAttempt(delivery_id=claim.delivery_id, attempt=claim.attempt, at=now, status_code=code,
                                 latency_ms=outcome.latency_ms, error=outcome.error, excerpt=outcome.excerpt))
            row = s.get(WebhookDelivery, claim.delivery_id)
            if row is None or row.status != "sending" or row.attempt != claim.attempt:
                return  # no longer ours: the attempt is logged, the row belongs to whoever holds it now
            row.last_status_code, row.last_error, row.excerpt = code, outcome.error, outcome.excerpt
            row.lease_until, row.updated_at = None, now
            if code is not None and 200 <= code < 300:
                row.status, row.next_attempt_at = "delivered", None
            elif code == 410:
                row.status, row.next_attempt_at = "disabled", None
                endpoint = s.get(WebhookEndpoint, row.endpoint_id) if row.endpoint_id is not None else None
                if endpoint is not None:
                    endpoint.enabled = False
                    endpoint.disabled_reason = f"the receiver answered 410 Gone at {_iso(now)}"
            else:
                delay = None if permanent else self.webhooks.retry.delay_after(claim.attempt, outcome.retry_after)
                if delay is None:
                    row.status, row.next_attempt_at = "failed", None
                else:
                    row.status, row.next_attempt_at = "pending", now + timedelta(seconds=delay)
        if code is not None and 200 <= code < 300:
            return
        log.info("webhook delivery %s attempt %d: %s", claim.delivery_id, claim.attempt,
                 outcome.error or f"HTTP {code}")


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

"""Webhooks: endpoints (subscriptions), the outbox of events, and the delivery log.

Durable by the transactional outbox: :meth:`Webhooks.enqueue` writes the event and one delivery
per target with the caller's own database session, so the event exists exactly when the change
that caused it (a job's final state) is committed. Nothing is sent from the request path: the
dispatcher (``services/webhook_dispatcher.py``) claims due deliveries and sends them, with
retries (``services/webhook_retries.py``) and signatures (``services/webhook_signing.py``).
The payload is stored as the exact JSON text every attempt sends and signs (``js_json``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.errors import InvalidRequest, WebhookDeliveryNotFound, WebhookDisabled, WebhookNotFound
from ..core.policy import Principal, require_webhook
from ..runtimes.media.url_fetch import UrlNotAllowed, guard_url, precheck_url
from ..store.db import Database
from ..store.tables import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from . import js_json
from .webhook_dialects import TEST_EVENT, dialect
from .webhook_retries import RetryPolicy
from .webhook_signing import SecretBox, new_secret

Clock = Callable[[], datetime]
MAX_ENDPOINTS_PER_USER = 50
MAX_DESCRIPTION = 500
#: The largest event body (a door's payload is small: ids, statuses, output URLs).
MAX_PAYLOAD_BYTES = 256 * 1024


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


@dataclass(frozen=True)
class TargetRules:
    """Which webhook URLs are accepted: https only unless ``allow_http``; public addresses only
    unless ``allow_private`` (checked again on every delivery, at connection time)."""

    allow_http: bool = False
    allow_private: bool = False
    resolve_timeout: float = 5.0

    def check_form(self, url: str) -> None:
        """The URL alone (no name lookup): safe inside a caller's transaction."""
        parts = guard_url(url)
        if parts.scheme != "https" and not self.allow_http:
            raise UrlNotAllowed("webhook URLs must be https", details={"url": url[:200]})

    def check(self, url: str) -> None:
        """The URL and, when the name resolves now, its addresses."""
        self.check_form(url)
        precheck_url(url, self.allow_private, self.resolve_timeout)


# -- what the service hands doors ----------------------------------------------------------------
@dataclass(frozen=True)
class WebhookEndpointView:
    id: str
    dialect: str
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None
    created_at: datetime


@dataclass(frozen=True)
class CreatedWebhook:
    endpoint: WebhookEndpointView
    secret: str  # shown once


@dataclass(frozen=True)
class DeliveryView:
    id: str
    event_id: str
    event_type: str
    endpoint_id: str | None
    target_url: str
    status: str
    attempt: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    excerpt: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AttemptView:
    attempt: int
    at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None
    excerpt: str | None


def endpoint_view(row: WebhookEndpoint) -> WebhookEndpointView:
    return WebhookEndpointView(id=row.id, dialect=row.dialect, url=row.url, events=list(row.events),
                               description=row.description, enabled=row.enabled,
                               disabled_reason=row.disabled_reason, created_at=row.created_at)


def _delivery_view(row: WebhookDelivery, event_type: str, url: str) -> DeliveryView:
    return DeliveryView(id=row.id, event_id=row.event_id, event_type=event_type, endpoint_id=row.endpoint_id,
                        target_url=url, status=row.status, attempt=row.attempt,
                        next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
                        last_status_code=row.last_status_code, last_error=row.last_error, excerpt=row.excerpt,
                        created_at=row.created_at, updated_at=row.updated_at)


@dataclass(frozen=True)
class RegisteredTarget:
    secret: str
    events: frozenset[str]


class Webhooks:
    def __init__(self, db: Database, box: SecretBox, rules: TargetRules, retry: RetryPolicy,
                 clock: Clock = utc_now) -> None:
        self.db = db
        self.box = box
        self.rules = rules
        self.retry = retry
        self.clock = clock
        #: Called (from any thread) after a transaction that enqueued deliveries commits.
        self.on_enqueued: Callable[[], None] = lambda: None

    # -- the outbox --------------------------------------------------------------------------------
    def enqueue(self, s: Session, *, user_id: str, dialect_name: str, event_type: str, payload: Any,
                endpoint_ids: Sequence[str] | None = None, target_url: str | None = None,
                target_secret: str | None = None) -> str | None:
        """Record an event and its deliveries in the caller's transaction ``s``; returns the event id
        (None when nobody is to be told).

        Targets: ``target_url`` (an ad-hoc URL given with a request, signed with ``target_secret``
        if the door has one), else ``endpoint_ids`` (the user's, enabled), else every enabled
        endpoint of the user in this dialect subscribed to ``event_type``. ``payload`` is the body
        exactly as sent, shaped by the door (``WebhookDialect.envelope``).
        """
        dialect(dialect_name)
        if target_url is not None:
            self.rules.check_form(target_url)
            endpoints: list[WebhookEndpoint] = []
        else:
            query = select(WebhookEndpoint).where(WebhookEndpoint.user_id == user_id,
                                                  WebhookEndpoint.enabled.is_(True))
            if endpoint_ids is not None:
                query = query.where(WebhookEndpoint.id.in_(list(endpoint_ids)))
            else:
                query = query.where(WebhookEndpoint.dialect == dialect_name)
            endpoints = [row for row in s.scalars(query.order_by(WebhookEndpoint.created_at)).all()
                         if endpoint_ids is not None or event_type in row.events]
            if not endpoints:
                return None
        text = js_json.dumps(payload)
        if len(text.encode()) > MAX_PAYLOAD_BYTES:
            raise InvalidRequest(f"a webhook payload may not exceed {MAX_PAYLOAD_BYTES} bytes",
                                 code="WEBHOOK_PAYLOAD_TOO_LARGE")
        now = self.clock()
        event = WebhookEvent(id=new_id("evt"), user_id=user_id, dialect=dialect_name, type=event_type,
                             payload=text, created_at=now)
        s.add(event)
        s.flush()  # the event row before its deliveries (no ORM relationship orders them)
        due = now + timedelta(seconds=self.retry.first_delay())
        if target_url is not None:
            delivery_id = new_id("whd")
            s.add(WebhookDelivery(
                id=delivery_id, event_id=event.id, user_id=user_id, endpoint_id=None, target_url=target_url,
                target_secret=self.box.seal(target_secret, delivery_id) if target_secret is not None else None,
                status="pending", attempt=0, next_attempt_at=due, created_at=now, updated_at=now))
        for endpoint in endpoints:
            s.add(WebhookDelivery(id=new_id("whd"), event_id=event.id, user_id=user_id, endpoint_id=endpoint.id,
                                  status="pending", attempt=0, next_attempt_at=due, created_at=now, updated_at=now))
        sa_event.listen(s, "after_commit", lambda _s: self.on_enqueued(), once=True)
        return event.id

    def registered(self, s: Session, *, user_id: str, dialect_name: str, url: str) -> RegisteredTarget | None:
        """The user's enabled endpoint in this dialect registered for exactly ``url``: a per-request
        ``webhook_url`` naming it is signed with its secret (and not sent twice for events it already
        subscribes to)."""
        row = s.scalars(select(WebhookEndpoint).where(
            WebhookEndpoint.user_id == user_id, WebhookEndpoint.dialect == dialect_name, WebhookEndpoint.url == url,
            WebhookEndpoint.enabled.is_(True)).order_by(WebhookEndpoint.created_at)).first()
        if row is None:
            return None
        return RegisteredTarget(secret=self.box.open(row.secret, row.id), events=frozenset(row.events))

    # -- endpoints ---------------------------------------------------------------------------------
    def create(self, principal: Principal, *, dialect_name: str, url: str, events: Sequence[str] | None = None,
               description: str = "") -> CreatedWebhook:
        """A new endpoint and its secret (the only time the secret is shown)."""
        chosen = self._events(dialect_name, events)
        self.rules.check(url)
        secret = new_secret()
        row = WebhookEndpoint(id=new_id("whe"), user_id=principal.user_id, dialect=dialect_name, url=url,
                              events=chosen, description=_description(description), enabled=True,
                              disabled_reason=None, created_at=self.clock())
        row.secret = self.box.seal(secret, row.id)
        with self.db.session() as s:
            count = len(s.scalars(select(WebhookEndpoint.id).where(
                WebhookEndpoint.user_id == principal.user_id)).all())
            if count >= MAX_ENDPOINTS_PER_USER:
                raise InvalidRequest(f"at most {MAX_ENDPOINTS_PER_USER} webhooks per user",
                                     code="TOO_MANY_WEBHOOKS")
            s.add(row)
        return CreatedWebhook(endpoint_view(row), secret)

    def list_endpoints(self, principal: Principal, dialect_name: str | None = None) -> list[WebhookEndpointView]:
        with self.db.session() as s:
            query = select(WebhookEndpoint).where(WebhookEndpoint.user_id == principal.user_id)
            if dialect_name is not None:
                query = query.where(WebhookEndpoint.dialect == dialect_name)
            return [endpoint_view(r) for r in s.scalars(query.order_by(WebhookEndpoint.created_at)).all()]

    def get(self, principal: Principal, endpoint_id: str) -> WebhookEndpointView:
        with self.db.session() as s:
            return endpoint_view(self._endpoint(s, principal, endpoint_id))

    def update(self, principal: Principal, endpoint_id: str, *, url: str | None = None,
               events: Sequence[str] | None = None, description: str | None = None,
               enabled: bool | None = None) -> WebhookEndpointView:
        """Change what is given; enabling again clears why it was disabled."""
        if url is not None:
            self.rules.check(url)
        with self.db.session() as s:
            row = self._endpoint(s, principal, endpoint_id)
            if url is not None:
                row.url = url
            if events is not None:
                row.events = self._events(row.dialect, events)
            if description is not None:
                row.description = _description(description)
            if enabled is not None:
                row.enabled = enabled
                row.disabled_reason = None if enabled else "disabled by its owner"
            return endpoint_view(row)

    def delete(self, principal: Principal, endpoint_id: str) -> None:
        """The endpoint and its delivery log."""
        with self.db.session() as s:
            s.delete(self._endpoint(s, principal, endpoint_id))

    def send_test(self, principal: Principal, endpoint_id: str) -> str:
        """A ``webhook.test`` event to this endpoint only (subscribed or not); returns its id."""
        with self.db.session() as s:
            row = self._endpoint(s, principal, endpoint_id)
            if not row.enabled:
                raise WebhookDisabled(f"the webhook is disabled ({row.disabled_reason})")
            data = {"webhook_id": row.id, "message": "a test event from Mini AI Studio"}
            payload = dialect(row.dialect).envelope(TEST_EVENT, data, self.clock())
            event_id = self.enqueue(s, user_id=principal.user_id, dialect_name=row.dialect, event_type=TEST_EVENT,
                                    payload=payload, endpoint_ids=[row.id])
            assert event_id is not None
            return event_id

    # -- the delivery log --------------------------------------------------------------------------
    def deliveries(self, principal: Principal, endpoint_id: str, *, limit: int = 50,
                   offset: int = 0) -> list[DeliveryView]:
        """An endpoint's deliveries, newest first."""
        with self.db.session() as s:
            endpoint = self._endpoint(s, principal, endpoint_id)
            rows = s.execute(
                select(WebhookDelivery, WebhookEvent.type).join(WebhookEvent)
                .where(WebhookDelivery.endpoint_id == endpoint.id)
                .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id).limit(limit).offset(offset)).all()
            return [_delivery_view(d, event_type, endpoint.url) for d, event_type in rows]

    def newest_deliveries(self, principal: Principal, dialect_name: str | None = None) -> dict[str, DeliveryView]:
        """Each of the principal's endpoints' newest delivery (endpoint id -> delivery), in one query."""
        with self.db.session() as s:
            newest = (select(WebhookDelivery.endpoint_id, func.max(WebhookDelivery.created_at).label("at"))
                      .where(WebhookDelivery.user_id == principal.user_id, WebhookDelivery.endpoint_id.is_not(None))
                      .group_by(WebhookDelivery.endpoint_id).subquery())
            query = (select(WebhookDelivery, WebhookEvent.type, WebhookEndpoint.url)
                     .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
                     .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                     .join(newest, (newest.c.endpoint_id == WebhookDelivery.endpoint_id)
                           & (newest.c.at == WebhookDelivery.created_at))
                     .where(WebhookEndpoint.user_id == principal.user_id)
                     .order_by(WebhookDelivery.id))
            if dialect_name is not None:
                query = query.where(WebhookEndpoint.dialect == dialect_name)
            found: dict[str, DeliveryView] = {}
            for row, event_type, url in s.execute(query).all():
                assert row.endpoint_id is not None
                found.setdefault(row.endpoint_id, _delivery_view(row, event_type, url))
            return found

    def event_deliveries(self, principal: Principal, event_id: str) -> list[DeliveryView]:
        """Every delivery of one event (e.g. a job's ad-hoc ``webhook_url``), oldest first."""
        with self.db.session() as s:
            event = s.get(WebhookEvent, event_id) if len(event_id) <= 40 else None
            if event is None:
                return []
            require_webhook(principal, event.user_id, delivery=True)
            rows = s.scalars(select(WebhookDelivery).where(WebhookDelivery.event_id == event.id)
                             .order_by(WebhookDelivery.created_at, WebhookDelivery.id)).all()
            return [_delivery_view(row, event.type, self._url_of(s, row)) for row in rows]

    def delivery(self, principal: Principal, delivery_id: str) -> DeliveryView:
        with self.db.session() as s:
            row, event = self._delivery(s, principal, delivery_id)
            return _delivery_view(row, event.type, self._url_of(s, row))

    def attempts(self, principal: Principal, delivery_id: str) -> list[AttemptView]:
        with self.db.session() as s:
            row, _ = self._delivery(s, principal, delivery_id)
            return [AttemptView(a.attempt, a.at, a.status_code, a.latency_ms, a.error, a.excerpt)
                    for a in s.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == row.id)
                                       .order_by(WebhookAttempt.attempt, WebhookAttempt.id)).all()]

    def redeliver(self, principal: Principal, delivery_id: str) -> DeliveryView:
        """Send the event again to the same target now, as a new delivery (same event id, so the
        receiver can tell it is the same event)."""
        with self.db.session() as s:
            row, event = self._delivery(s, principal, delivery_id)
            if row.endpoint_id is not None:
                endpoint = s.get(WebhookEndpoint, row.endpoint_id)
                if endpoint is None or not endpoint.enabled:
                    raise WebhookDisabled("the webhook is disabled; enable it before redelivering")
            now = self.clock()
            secret = None if row.target_secret is None else self.box.open(row.target_secret, row.id)
            again = WebhookDelivery(id=new_id("whd"), event_id=row.event_id, user_id=row.user_id,
                                    endpoint_id=row.endpoint_id, target_url=row.target_url, status="pending",
                                    attempt=0, next_attempt_at=now, created_at=now, updated_at=now)
            again.target_secret = None if secret is None else self.box.seal(secret, again.id)
            s.add(again)
            sa_event.listen(s, "after_commit", lambda _s: self.on_enqueued(), once=True)
            view = _delivery_view(again, event.type, self._url_of(s, again))
        return view

    # -- helpers -----------------------------------------------------------------------------------
    def _events(self, dialect_name: str, events: Sequence[str] | None) -> list[str]:
        known = dialect(dialect_name).events
        if not events:
            return list(known)  # the seed: "default: all"
        unknown = sorted({e for e in events if e not in known})
        if unknown:
            raise InvalidRequest(f"unknown event type(s): {', '.join(e[:60] for e in unknown[:5])}",
                                 code="WEBHOOK_EVENT_UNKNOWN", details={"events": list(known)})
        return list(dict.fromkeys(events))

    def _endpoint(self, s: Session, principal: Principal, endpoint_id: str) -> WebhookEndpoint:
        row = s.get(WebhookEndpoint, endpoint_id) if len(endpoint_id) <= 40 else None
        if row is None:
            raise WebhookNotFound("webhook not found")
        require_webhook(principal, row.user_id)
        return row

    def _delivery(self, s: Session, principal: Principal, delivery_id: str) -> tuple[WebhookDelivery, WebhookEvent]:
        row = s.get(WebhookDelivery, delivery_id) if len(delivery_id) <= 40 else None
        if row is None:
            raise WebhookDeliveryNotFound("webhook delivery not found")
        require_webhook(principal, row.user_id, delivery=True)
        event = s.get(WebhookEvent, row.event_id)
        assert event is not None  # deliveries cascade with their event
        return row, event

    def _url_of(self, s: Session, row: WebhookDelivery) -> str:
        if row.endpoint_id is None:
            return row.target_url or ""
        endpoint = s.get(WebhookEndpoint, row.endpoint_id)
        return endpoint.url if endpoint is not None else ""


def _description(text: str) -> str:
    if len(text) > MAX_DESCRIPTION:
        raise InvalidRequest(f"description is longer than {MAX_DESCRIPTION} characters", code="INVALID_REQUEST")
    return text

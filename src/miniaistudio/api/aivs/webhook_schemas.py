"""The AI Visual Studio door's webhook models. The seed documents the requests (``url``, ``events``)
and the event names; the answers' shapes are ours, named in the seed's style (snake_case, ``data`` +
``total`` lists like ``/api/v1/keys``). ``description``, ``enabled``, the delivery log, redeliver and
the test event are studio extensions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from ...runtimes.media.url_fetch import MAX_URL_LENGTH
from ...services.webhooks import MAX_DESCRIPTION, AttemptView, CreatedWebhook, DeliveryView, WebhookEndpointView

#: The seed's events ("Available Events").
Event = Literal["generation.completed", "generation.failed"]
WebhookUrl = Annotated[str, StringConstraints(min_length=1, max_length=MAX_URL_LENGTH)]


class AivsWebhookCreate(BaseModel):
    url: WebhookUrl = Field(description="HTTPS URL to receive webhook events")
    events: list[Event] | None = Field(default=None, min_length=1, max_length=8,
                                       description="Events to subscribe to (default: all)")
    description: str = Field(default="", max_length=MAX_DESCRIPTION,
                             description="A note to recognise the webhook by (studio extension)")


class AivsWebhookUpdate(BaseModel):
    url: WebhookUrl | None = Field(default=None, description="HTTPS URL to receive webhook events")
    events: list[Event] | None = Field(default=None, min_length=1, max_length=8,
                                       description="Events to subscribe to")
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    enabled: bool | None = Field(default=None, description=(
        "false pauses deliveries; true enables again a webhook the studio disabled (e.g. after a 410)"))


class AivsDeliveryAttemptPublic(BaseModel):
    attempt: int
    at: datetime
    status_code: int | None = Field(description="The receiver's HTTP status (none: no answer)")
    latency_ms: int
    error: str | None

    @classmethod
    def of(cls, view: AttemptView) -> AivsDeliveryAttemptPublic:
        return cls(attempt=view.attempt, at=view.at, status_code=view.status_code, latency_ms=view.latency_ms,
                   error=view.error)


class AivsWebhookDeliveryPublic(BaseModel):
    """One event sent (or being sent) to one webhook (studio extension)."""

    id: str
    event_id: str = Field(description="Also sent as the X-Webhook-Id header, the same on every retry")
    event: str
    status: str = Field(description="pending, sending, delivered, failed or disabled")
    attempts: int = Field(description="Attempts made so far")
    status_code: int | None = Field(description="The status of the last attempt")
    error: str | None
    next_retry_at: datetime | None = Field(description="When the next attempt is due (pending only)")
    created_at: datetime
    updated_at: datetime
    attempt_log: list[AivsDeliveryAttemptPublic]

    @classmethod
    def of(cls, view: DeliveryView, attempts: list[AttemptView]) -> AivsWebhookDeliveryPublic:
        return cls(id=view.id, event_id=view.event_id, event=view.event_type, status=view.status,
                   attempts=view.attempt, status_code=view.last_status_code, error=view.last_error,
                   next_retry_at=view.next_attempt_at, created_at=view.created_at, updated_at=view.updated_at,
                   attempt_log=[AivsDeliveryAttemptPublic.of(a) for a in attempts])


class AivsWebhookDeliveryListPublic(BaseModel):
    data: list[AivsWebhookDeliveryPublic] = Field(description="Newest first")
    has_more: bool


class AivsLastDeliveryPublic(BaseModel):
    event: str
    status: str
    status_code: int | None
    at: datetime

    @classmethod
    def of(cls, view: DeliveryView) -> AivsLastDeliveryPublic:
        return cls(event=view.event_type, status=view.status, status_code=view.last_status_code, at=view.updated_at)


class AivsWebhookPublic(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None = Field(description="Why the webhook is disabled (by its owner, or a 410)")
    created_at: datetime
    last_delivery: AivsLastDeliveryPublic | None = Field(
        default=None, description="The newest delivery (lists only; studio extension)")

    @classmethod
    def of(cls, view: WebhookEndpointView, last: DeliveryView | None = None) -> AivsWebhookPublic:
        return cls(id=view.id, url=view.url, events=list(view.events), description=view.description,
                   enabled=view.enabled, disabled_reason=view.disabled_reason, created_at=view.created_at,
                   last_delivery=None if last is None else AivsLastDeliveryPublic.of(last))


class AivsWebhookCreatedPublic(AivsWebhookPublic):
    secret: str = Field(description="The signing secret (X-Webhook-Signature): shown once, store it now")

    @classmethod
    def created(cls, created: CreatedWebhook) -> AivsWebhookCreatedPublic:
        return cls(**AivsWebhookPublic.of(created.endpoint).model_dump(), secret=created.secret)


class AivsWebhookListPublic(BaseModel):
    data: list[AivsWebhookPublic]
    total: int


class AivsWebhookDeletedPublic(BaseModel):
    id: str
    deleted: Literal[True] = True


class AivsWebhookTestPublic(BaseModel):
    """The test event was queued; the dispatcher sends it, signed like every delivery."""

    event_id: str
    event: str = Field(description="webhook.test")

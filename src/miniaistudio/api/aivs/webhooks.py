"""``/api/v1/webhooks``: the seed's webhook endpoints (create, list, update, delete) and the studio's
extensions (a delivery log per webhook, redeliver, a test event), over ``services/webhooks.py``.

Routes are plain ``def``: the service does database work and resolves the target's name, so they
run in the worker pool. Another user's webhook answers ``not_found`` (``core/policy.require_webhook``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ...core.errors import InvalidRequest, WebhookDeliveryNotFound
from ...core.policy import ApiScope, Principal
from ...services.webhook_dialects import TEST_EVENT
from ...services.webhooks import DeliveryView
from ..common.deps import RequireScope, StudioDep
from .webhook_schemas import (
    AivsWebhookCreate,
    AivsWebhookCreatedPublic,
    AivsWebhookDeletedPublic,
    AivsWebhookDeliveryListPublic,
    AivsWebhookDeliveryPublic,
    AivsWebhookListPublic,
    AivsWebhookPublic,
    AivsWebhookTestPublic,
    AivsWebhookUpdate,
)

DIALECT = "aivs"
MAX_DELIVERIES_PAGE = 100

router = APIRouter(tags=["webhooks"])
WebhooksScope = Annotated[Principal, Depends(RequireScope(ApiScope.WEBHOOKS))]

#: The studio's refusals of a webhook's fields, and the request field each one is about.
FIELD_OF_CODE = {"URL_NOT_ALLOWED": "url", "URL_INVALID": "url", "URL_FETCH_TIMEOUT": "url",
                 "WEBHOOK_EVENT_UNKNOWN": "events", "TOO_MANY_WEBHOOKS": "body"}


@contextmanager
def invalid_fields() -> Iterator[None]:
    """The service's ``InvalidRequest`` family (422, finer codes) as the seed's ``invalid_request``
    400 naming the field; the finer code stays in ``details.reason``."""
    try:
        yield
    except InvalidRequest as exc:
        if exc.code == "INVALID_REQUEST" and "errors" in exc.details:
            raise
        field = FIELD_OF_CODE.get(exc.code, "body")
        raise InvalidRequest(exc.message, code="INVALID_REQUEST", details={
            **exc.details, "reason": exc.code.lower(), "errors": [{"field": field, "message": exc.message}]},
        ) from None


@router.post("/webhooks", response_model=AivsWebhookCreatedPublic,
             summary="Create a webhook; its signing secret is shown once",
             description="Subscribes `url` to `events` (default: all: generation.completed, generation.failed). "
                         "Targets must be https and public unless the studio allows otherwise.")
def create_webhook(body: AivsWebhookCreate, caller: WebhooksScope, studio: StudioDep) -> AivsWebhookCreatedPublic:
    with invalid_fields():
        created = studio.webhooks.create(caller, dialect_name=DIALECT, url=body.url, events=body.events,
                                         description=body.description)
    return AivsWebhookCreatedPublic.created(created)


@router.get("/webhooks", response_model=AivsWebhookListPublic,
            summary="List all webhooks (never their secrets), each with its newest delivery")
def list_webhooks(caller: WebhooksScope, studio: StudioDep) -> AivsWebhookListPublic:
    newest = studio.webhooks.newest_deliveries(caller, DIALECT)
    webhooks = [AivsWebhookPublic.of(view, newest.get(view.id))
                for view in studio.webhooks.list_endpoints(caller, DIALECT)]
    return AivsWebhookListPublic(data=webhooks, total=len(webhooks))


@router.patch("/webhooks/{webhook_id}", response_model=AivsWebhookPublic,
              summary="Update a webhook (url, events, description, enabled); what is left out stays")
def update_webhook(webhook_id: str, body: AivsWebhookUpdate, caller: WebhooksScope,
                   studio: StudioDep) -> AivsWebhookPublic:
    with invalid_fields():
        view = studio.webhooks.update(caller, webhook_id, url=body.url, events=body.events,
                                      description=body.description, enabled=body.enabled)
    return AivsWebhookPublic.of(view)


@router.delete("/webhooks/{webhook_id}", response_model=AivsWebhookDeletedPublic,
               summary="Delete a webhook and its delivery log")
def delete_webhook(webhook_id: str, caller: WebhooksScope, studio: StudioDep) -> AivsWebhookDeletedPublic:
    studio.webhooks.delete(caller, webhook_id)
    return AivsWebhookDeletedPublic(id=webhook_id)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=AivsWebhookDeliveryListPublic,
            summary="A webhook's delivery log, newest first (studio extension)",
            description="Each delivery with its attempts, the status codes answered and when the next retry is due.")
def list_deliveries(webhook_id: str, caller: WebhooksScope, studio: StudioDep,
                    limit: Annotated[int, Query(ge=1, le=MAX_DELIVERIES_PAGE)] = 20,
                    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> AivsWebhookDeliveryListPublic:
    found = studio.webhooks.deliveries(caller, webhook_id, limit=limit + 1, offset=offset)
    data = [_delivery(caller, studio, view) for view in found[:limit]]
    return AivsWebhookDeliveryListPublic(data=data, has_more=len(found) > limit)


@router.post("/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", response_model=AivsWebhookDeliveryPublic,
             summary="Send a delivery's event again now, as a new delivery (studio extension)",
             description="The same event id (X-Webhook-Id), so receivers can tell it is the same event.")
def redeliver(webhook_id: str, delivery_id: str, caller: WebhooksScope, studio: StudioDep) -> AivsWebhookDeliveryPublic:
    studio.webhooks.get(caller, webhook_id)
    if studio.webhooks.delivery(caller, delivery_id).endpoint_id != webhook_id:
        raise WebhookDeliveryNotFound("webhook delivery not found")
    return _delivery(caller, studio, studio.webhooks.redeliver(caller, delivery_id))


@router.post("/webhooks/{webhook_id}/test", response_model=AivsWebhookTestPublic,
             summary="Send a test event (webhook.test) to this webhook (studio extension)",
             description="Queued for the dispatcher and signed like every delivery; see its delivery log.")
def send_test(webhook_id: str, caller: WebhooksScope, studio: StudioDep) -> AivsWebhookTestPublic:
    return AivsWebhookTestPublic(event_id=studio.webhooks.send_test(caller, webhook_id), event=TEST_EVENT)


def _delivery(caller: Principal, studio: StudioDep, view: DeliveryView) -> AivsWebhookDeliveryPublic:
    return AivsWebhookDeliveryPublic.of(view, studio.webhooks.attempts(caller, view.id))

"""Published apps from the canvas side: publish a session as an app, list, read, change, delete,
analytics; the Magnific key and webhook secret that go with them. Runs go through ``/v1/ai``."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from ...services.api_key_format import KeyKind
from ...services.api_keys import KeySpec
from ...services.apps import AppPublish, AppUpdate
from ..common.deps import CurrentUser, LoginSession, StudioDep
from .app_schemas import (
    AppAnalyticsPublic,
    AppKeyCreate,
    AppKeyCreatedPublic,
    AppPublic,
    AppsPublic,
    AppWebhookSecretPublic,
)

router = APIRouter(tags=["apps"])


@router.post("/sessions/{session_id}/publish-app", status_code=201,
             summary="Publish one of your sessions as an app: its inputs, returned outputs and visibility",
             response_model=AppPublic)
async def publish_app(session_id: str, body: AppPublish, user: CurrentUser, studio: StudioDep) -> AppPublic:
    return AppPublic.of(await asyncio.to_thread(studio.apps.publish, user, session_id, body), user)


@router.get("/apps", summary="Your apps and the apps shared with you (team, everyone)", response_model=AppsPublic)
def list_apps(user: CurrentUser, studio: StudioDep) -> AppsPublic:
    return AppsPublic(items=[AppPublic.of(view, user) for view in studio.apps.listing(user)])


@router.get("/apps/webhook-secret", summary="The secret that signs your app runs' webhooks",
            response_model=AppWebhookSecretPublic)
def app_webhook_secret(user: LoginSession, studio: StudioDep) -> AppWebhookSecretPublic:
    return AppWebhookSecretPublic(secret=studio.app_webhook_secrets.secret_for(user.user_id))


@router.post("/apps/keys", summary="Create a Magnific apps key (mgn_...); the key is shown once",
             response_model=AppKeyCreatedPublic)
def create_app_key(body: AppKeyCreate, user: LoginSession, studio: StudioDep) -> AppKeyCreatedPublic:
    spec = KeySpec(name=body.name, scopes=list(body.scopes), expires_at=body.expires_at, spend_cap=body.spend_cap)
    return AppKeyCreatedPublic.issued(studio.api_keys.create(user.user_id, KeyKind.MAGNIFIC, spec))


@router.get("/apps/{app_id}", summary="One app: inputs, outputs, visibility, cost", response_model=AppPublic)
def get_app(app_id: str, user: CurrentUser, studio: StudioDep) -> AppPublic:
    return AppPublic.of(studio.apps.get(user, app_id), user)


@router.patch("/apps/{app_id}", summary="Rename an app, change its description or visibility (owner)",
              response_model=AppPublic)
def update_app(app_id: str, body: AppUpdate, user: CurrentUser, studio: StudioDep) -> AppPublic:
    return AppPublic.of(studio.apps.update(user, app_id, body), user)


@router.delete("/apps/{app_id}", summary="Delete an app (owner); its runs stay in their users' history",
               response_model=AppPublic)
def delete_app(app_id: str, user: CurrentUser, studio: StudioDep) -> AppPublic:
    return AppPublic.of(studio.apps.delete(user, app_id), user)


@router.get("/apps/{app_id}/analytics", summary="Runs of an app by everyone: count, outcomes, credits (owner)",
            response_model=AppAnalyticsPublic)
def app_analytics(app_id: str, user: CurrentUser, studio: StudioDep) -> AppAnalyticsPublic:
    return AppAnalyticsPublic.of(studio.apps.analytics(user, app_id))

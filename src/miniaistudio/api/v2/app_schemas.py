"""The v2 door's public models of published apps (see ``schemas.py`` for the conventions)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from ...core.policy import Principal
from ...services.api_keys import MAX_NAME_CHARS, MAX_SPEND_CAP, IssuedKey
from ...services.apps import AppAnalytics, AppInput, AppView
from .schemas import Public

InputType = Literal["creation", "text", "number", "select"]
Visibility = Literal["private", "team", "everyone"]


class AppInputPublic(Public):
    id: str = Field(description="input-<uuid>-<n>: the key of the input's value in a run")
    type: InputType
    label: str
    required: bool
    default: str | int | float | None
    options: list[str]
    min: float | None
    max: float | None
    node_id: str | None = Field(description="The node it feeds (the owner's view only)")
    field: str | None = Field(description="The node parameter it sets (the owner's view only)")

    @classmethod
    def of(cls, item: AppInput, owner: bool) -> AppInputPublic:
        return cls(id=item.id, type=item.type, label=item.label, required=item.required,
                   default=item.default, options=list(item.options), min=item.min, max=item.max,
                   node_id=item.node_id if owner else None, field=item.field if owner else None)


class AppPublic(Public):
    id: str = Field(description="The app's SQID (its id on the Magnific door, /v1/ai/apps/{id})")
    name: str
    description: str
    visibility: Visibility
    owner_email: str
    is_owner: bool
    session_id: str | None = Field(description="The session it was published from (the owner's view only)")
    inputs: list[AppInputPublic]
    outputs: list[str] = Field(description="The nodes whose outputs a run returns (node ids; the owner's view only)")
    output_count: int
    total_cost: int = Field(description="Credits one run costs (0 with billing off)")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: AppView, principal: Principal) -> AppPublic:
        owner = view.owner_id == principal.user_id
        return cls(id=view.id, name=view.name, description=view.description,
                   visibility=view.visibility,
                   owner_email=view.owner_email, is_owner=owner, session_id=view.session_id if owner else None,
                   inputs=[AppInputPublic.of(item, owner) for item in view.inputs],
                   outputs=list(view.output_nodes) if owner else [], output_count=len(view.output_nodes),
                   total_cost=view.total_cost, created_at=view.created_at, updated_at=view.updated_at)


class AppsPublic(Public):
    items: list[AppPublic]


class AppAnalyticsPublic(Public):
    app_id: str
    runs: int
    completed: int
    failed: int = Field(description="Failed or canceled runs")
    running: int
    credits: int = Field(description="Credits charged for the app's runs, by everyone who ran it")

    @classmethod
    def of(cls, stats: AppAnalytics) -> AppAnalyticsPublic:
        return cls(app_id=stats.app_id, runs=stats.runs, completed=stats.completed, failed=stats.failed,
                   running=stats.running, credits=stats.credits)


class AppWebhookSecretPublic(Public):
    secret: str = Field(description="Signs your app runs' webhooks (X-Webhook-Signature and webhook-signature)")


KeyScope = Literal["read", "generate:image"]


def _app_key_scopes() -> list[KeyScope]:
    return ["read", "generate:image"]


class AppKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    scopes: list[KeyScope] = Field(
        default_factory=_app_key_scopes, max_length=4,
        description="read: list, get and poll; generate:image: run apps")
    expires_at: datetime | None = None
    spend_cap: int | None = Field(default=None, ge=0, le=MAX_SPEND_CAP)


class AppKeyCreatedPublic(Public):
    id: str
    name: str
    kind: str
    prefix: str
    scopes: list[str]
    expires_at: datetime | None
    spend_cap: int | None
    created_at: datetime
    key: str = Field(description="The mgn_... key: shown once, send it as X-Magnific-Api-Key")

    @classmethod
    def issued(cls, issued: IssuedKey) -> AppKeyCreatedPublic:
        info = issued.info
        return cls(id=info.id, name=info.name, kind=info.kind, prefix=info.prefix, scopes=list(info.scopes),
                   expires_at=info.expires_at, spend_cap=info.spend_cap, created_at=info.created_at,
                   key=issued.secret)

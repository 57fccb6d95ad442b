from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from ..deps import CurrentUser, StudioDep

router = APIRouter(tags=["account"])


class ApiKeyUpdate(BaseModel):
    enabled: bool


@router.get("/account/api-key", summary="Whether API access is enabled, and the key's safe prefix")
def get_api_key(user: CurrentUser, studio: StudioDep) -> dict[str, Any]:
    return studio.accounts.api_key_status(user.user_id).to_dict()


@router.put("/account/api-key", summary="Enable or disable the API key (enabling issues one if none)")
def put_api_key(body: ApiKeyUpdate, user: CurrentUser, studio: StudioDep) -> dict[str, Any]:
    return studio.accounts.set_api_key_enabled(user.user_id, body.enabled).to_dict()


@router.post("/account/api-key/regenerate", summary="Issue a new mas_ key; the secret is shown once")
def regenerate_api_key(user: CurrentUser, studio: StudioDep) -> dict[str, Any]:
    return studio.accounts.regenerate_api_key(user.user_id).to_dict()

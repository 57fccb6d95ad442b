"""``/api/v1/keys``: manage API keys from a signed-in web session (never with an API key)."""

from __future__ import annotations

from fastapi import APIRouter

from ...core.policy import STUDII_SCOPES
from ...services.api_key_format import KeyKind
from ...services.api_keys import KeySpec
from ..common.deps import LoginSession, StudioDep
from .schemas import AivsKeyCreate, AivsKeyCreatedPublic, AivsKeyListPublic, AivsKeyPublic

router = APIRouter(tags=["api keys"])


@router.post("/keys", summary="Create a new API key (avs_live_..., or stu_... with kind stu); the key is shown once",
             response_model=AivsKeyCreatedPublic)
def create_key(body: AivsKeyCreate, user: LoginSession, studio: StudioDep) -> AivsKeyCreatedPublic:
    kind = KeyKind(body.kind)
    scopes: list[str] = list(body.scopes)
    if kind == KeyKind.STUDII and "scopes" not in body.model_fields_set:  # a Studii key does every job
        scopes = [scope.value for scope in STUDII_SCOPES]
    spec = KeySpec(name=body.name, scopes=scopes, ip_allowlist=body.ip_allowlist,
                   expires_at=body.expires_at, spend_cap=body.spend_cap,
                   rate_limit_per_minute=body.rate_limit_per_minute)
    issued = studio.api_keys.create(user.user_id, kind, spec)
    return AivsKeyCreatedPublic.issued(issued)


@router.get("/keys", summary="List all your API keys (every door's, the personal key included)",
            response_model=AivsKeyListPublic)
def list_keys(user: LoginSession, studio: StudioDep) -> AivsKeyListPublic:
    keys = [AivsKeyPublic.of(info) for info in studio.api_keys.list(user.user_id)]
    return AivsKeyListPublic(data=keys, total=len(keys))


@router.delete("/keys/{key_id}", summary="Revoke an API key (at once, on every door)", response_model=AivsKeyPublic)
def revoke_key(key_id: str, user: LoginSession, studio: StudioDep) -> AivsKeyPublic:
    return AivsKeyPublic.of(studio.api_keys.revoke(user.user_id, key_id))

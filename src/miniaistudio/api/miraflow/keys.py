"""``POST /api/keys``: a Miraflow key (``mfl_live_...``) from a signed-in web session (the profile's
Keys tab); never with an API key. Listing and revoking are the studio's, on ``/api/v1/keys``
(every door's keys). Studio extension: Miraflow itself has no key-management API."""

from __future__ import annotations

from fastapi import APIRouter

from ...services.api_key_format import KeyKind
from ...services.api_keys import KeySpec
from ..aivs.schemas import AivsKeyCreate, AivsKeyCreatedPublic
from ..common.deps import LoginSession, StudioDep

router = APIRouter(tags=["api keys"])


@router.post("/keys", summary="Create a Miraflow API key (mfl_live_...); the key is shown once",
             response_model=AivsKeyCreatedPublic)
def create_key(body: AivsKeyCreate, user: LoginSession, studio: StudioDep) -> AivsKeyCreatedPublic:
    spec = KeySpec(name=body.name, scopes=list(body.scopes), ip_allowlist=body.ip_allowlist,
                   expires_at=body.expires_at, spend_cap=body.spend_cap,
                   rate_limit_per_minute=body.rate_limit_per_minute)
    return AivsKeyCreatedPublic.issued(studio.api_keys.create(user.user_id, KeyKind.MIRAFLOW, spec))

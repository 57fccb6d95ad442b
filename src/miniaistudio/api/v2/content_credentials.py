"""Who signs the studio's Content Credentials; admins install an organisation's certificate
(``services/content_signing.py``; the same as ``miniaistudio credentials install``)."""

from __future__ import annotations

from fastapi import APIRouter

from ...core.policy import StudioAction, require_studio
from ..common.deps import CurrentUser, StudioDep
from .credentials_schemas import SignerInstall, SignerPublic

router = APIRouter(tags=["content credentials"])


@router.get("/content-credentials/signer", summary="Who signs the studio's outputs", response_model=SignerPublic)
def get_signer(user: CurrentUser, studio: StudioDep) -> SignerPublic:
    return SignerPublic.of(studio.content_signing.summary())


@router.put("/content-credentials/signer", summary="Sign outputs with an organisation's certificate (admins)",
            response_model=SignerPublic)
def install_signer(body: SignerInstall, user: CurrentUser, studio: StudioDep) -> SignerPublic:
    require_studio(user, StudioAction.INSTALL_SIGNING_KEY)
    # a sync route: checking the key signs and verifies a probe on a worker thread
    return SignerPublic.of(studio.content_signing.install(body.certificate_chain_pem.encode(),
                                                          body.private_key_pem.encode()))

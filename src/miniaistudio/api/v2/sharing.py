"""Sharing: the owner invites collaborators by e-mail and manages their shares; invitees answer from their inbox.

Routes that end or change someone's access tell that user's open event streams (``AccessChanged`` on the
event bus), which re-check access and close when it is gone. They are async routes because the bus
belongs to the event loop; the database work runs on a worker thread.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response

from ...core.events import AccessChanged
from ...services.sharing import ShareInvite, ShareUpdate
from ...studio import Studio
from ..common.deps import CurrentUser, StudioDep
from .schemas import InvitationPublic, InvitationsPublic, SharePublic, ShareRevokedPublic, SharesPublic

router = APIRouter(tags=["sharing"])


def _access_changed(studio: Studio, session_id: str, user_id: str | None) -> None:
    if user_id is not None:
        studio.bus.publish(session_id, AccessChanged(user_id=user_id))


@router.post("/session/{session_id}/share", status_code=201,
             summary="Invite a collaborator by e-mail (viewer, runner or editor, optional credit limits); "
                     "201 when created, 200 when the e-mail's share was updated",
             response_model=SharePublic, response_model_exclude_unset=True,
             responses={200: {"description": "The existing share of this e-mail, updated",
                              "model": SharePublic}})
async def invite(session_id: str, body: ShareInvite, response: Response, user: CurrentUser,
                 studio: StudioDep) -> SharePublic:
    result = await asyncio.to_thread(studio.sharing.invite, user, session_id, body)
    if not result.created:
        response.status_code = 200
        _access_changed(studio, result.share.session_id, result.share.user_id)  # the role may have dropped
    return SharePublic.of(result.share)


@router.get("/session/{session_id}/shares", summary="The session's collaborators: pending, accepted and declined",
            response_model=SharesPublic, response_model_exclude_unset=True)
def list_shares(session_id: str, user: CurrentUser, studio: StudioDep) -> SharesPublic:
    return SharesPublic(items=[SharePublic.of(share) for share in studio.sharing.shares(user, session_id)])


@router.patch("/session/share/{share_id}", summary="Change a share's role or credit limits (null removes a limit)",
              response_model=SharePublic, response_model_exclude_unset=True)
async def update_share(share_id: str, body: ShareUpdate, user: CurrentUser, studio: StudioDep) -> SharePublic:
    share = await asyncio.to_thread(studio.sharing.update, user, share_id, body)
    _access_changed(studio, share.session_id, share.user_id)
    return SharePublic.of(share)


@router.delete("/session/share/{share_id}", summary="Revoke a share: the collaborator's access ends at once",
               response_model=ShareRevokedPublic, response_model_exclude_unset=True)
async def revoke_share(share_id: str, user: CurrentUser, studio: StudioDep) -> ShareRevokedPublic:
    share = await asyncio.to_thread(studio.sharing.revoke, user, share_id)
    _access_changed(studio, share.session_id, share.user_id)
    return ShareRevokedPublic(revoked=SharePublic.of(share))


@router.get("/invitations", summary="Your pending and accepted invitations to other people's sessions",
            response_model=InvitationsPublic, response_model_exclude_unset=True)
def list_invitations(user: CurrentUser, studio: StudioDep) -> InvitationsPublic:
    return InvitationsPublic(items=[InvitationPublic.of(item) for item in studio.sharing.invitations(user)])


@router.post("/invitations/{share_id}/accept", summary="Accept an invitation and gain access to the shared session",
             response_model=InvitationPublic, response_model_exclude_unset=True)
def accept_invitation(share_id: str, user: CurrentUser, studio: StudioDep) -> InvitationPublic:
    return InvitationPublic.of(studio.sharing.accept(user, share_id))


@router.post("/invitations/{share_id}/decline",
             summary="Decline an invitation (or leave a session you accepted): access ends at once",
             response_model=InvitationPublic, response_model_exclude_unset=True)
async def decline_invitation(share_id: str, user: CurrentUser, studio: StudioDep) -> InvitationPublic:
    invitation = await asyncio.to_thread(studio.sharing.decline, user, share_id)
    _access_changed(studio, invitation.session_id, user.user_id)
    return InvitationPublic.of(invitation)

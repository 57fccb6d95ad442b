"""Sharing sessions with collaborators: invitations by e-mail, roles, credit limits, the invitee's inbox.

A share is a row of ``session_shares`` keyed by (session, e-mail). Its role counts only once the
invitee accepted it (``sessions.facts_of`` reads it on every access check), so revoking it (the
row is deleted) or declining it ends access at the next request. Who may manage shares and answer
invitations is decided in ``core/policy.py``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from ..core.errors import Conflict, InvalidRequest, ShareNotFound
from ..core.policy import Action, Principal, require, require_invitee, require_share_owner
from ..store.db import Database
from ..store.tables import SessionShare, StudioSession, User
from .credits import CollaboratorLimits
from .invitation_mail import InvitationMail, InvitationMailer
from .sessions import ACCEPTED, facts_of, is_uuid

MAX_EMAIL_LENGTH = 320
#: Credit limits are whole credits; above 2^53 a JSON client could not read them back exactly.
MAX_CREDIT_LIMIT = 2**53 - 1
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+$")


class ShareRole(StrEnum):
    """The roles a share can give (``core.policy.Role`` below the owner); ownership is never shared."""

    VIEWER = "viewer"
    RUNNER = "runner"
    EDITOR = "editor"


class ShareStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = ACCEPTED
    DECLINED = "declined"


def normalized_email(raw: str) -> str:
    """How accounts store e-mails (trimmed, lower case), so a pending share finds its account at sign-up."""
    return raw.strip().lower()


CreditLimit = Field(default=None, ge=0, le=MAX_CREDIT_LIMIT, strict=True,
                    description="Whole credits; null or absent: no limit")


class ShareInvite(BaseModel):
    """``POST /session/{id}/share``. Re-inviting an e-mail updates its share (fields not sent are kept)."""

    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=MAX_EMAIL_LENGTH)
    role: ShareRole
    monthly_credit_limit: int | None = CreditLimit
    total_credit_limit: int | None = CreditLimit

    @field_validator("email")
    @classmethod
    def _an_email(cls, value: str) -> str:
        value = normalized_email(value)
        if not _EMAIL.match(value):
            raise ValueError("a valid e-mail address is required")
        return value


class ShareUpdate(BaseModel):
    """``PATCH /session/share/{shareId}``: only the fields sent change; a limit sent as null is removed."""

    model_config = ConfigDict(extra="forbid")
    role: ShareRole | None = None
    monthly_credit_limit: int | None = CreditLimit
    total_credit_limit: int | None = CreditLimit


@dataclass(frozen=True)
class CreditsUsed:
    this_month: int
    total: int


@dataclass(frozen=True)
class Share:
    id: str
    session_id: str
    email: str
    user_id: str | None
    role: str
    status: str
    monthly_credit_limit: int | None
    total_credit_limit: int | None
    invited_by: str | None  # the inviter's e-mail
    created_at: datetime
    updated_at: datetime
    accepted_at: datetime | None
    credits_used_this_month: int
    credits_used_total: int


@dataclass(frozen=True)
class InviteResult:
    share: Share
    created: bool


@dataclass(frozen=True)
class Invitation:
    id: str  # the share's id
    session_id: str
    session_name: str
    owner_email: str
    role: str
    status: str
    monthly_credit_limit: int | None
    total_credit_limit: int | None
    invited_by: str | None
    created_at: datetime
    accepted_at: datetime | None


def link_invitations(s: Session, user_id: str, email: str) -> None:
    """A new account takes over the pending invitations addressed to its e-mail (``Accounts.create_user``)."""
    s.execute(update(SessionShare).where(SessionShare.email == normalized_email(email),
                                         SessionShare.user_id.is_(None)).values(user_id=user_id))


#: (session id, user id) -> credits that user spent on the session: (this UTC month, in total).
UsageReader = Callable[[str, str], tuple[int, int]]


def nothing_used(session_id: str, user_id: str) -> tuple[int, int]:
    return 0, 0


class Sharing:
    def __init__(self, db: Database, mailer: InvitationMailer | None = None, *,
                 usage: UsageReader = nothing_used) -> None:
        self.db = db
        self.mailer = mailer or InvitationMailer(None)
        self._usage = usage

    # -- the owner's side ------------------------------------------------------------------------
    def invite(self, principal: Principal, session_id: str, invite: ShareInvite) -> InviteResult:
        """Create the share, or update the existing one for this e-mail (a declined one is re-opened)."""
        email = normalized_email(invite.email)
        for attempt in (1, 2):  # a concurrent invite of the same e-mail wins the insert: update it instead
            try:
                result, mail = self._invite_once(principal, session_id, email, invite)
                break
            except IntegrityError:
                if attempt == 2:
                    raise
        if mail is not None:
            self.mailer.send(mail)
        return result

    def _invite_once(self, principal: Principal, session_id: str, email: str,
                     invite: ShareInvite) -> tuple[InviteResult, InvitationMail | None]:
        with self.db.session() as s:
            sess = self._session_for(s, principal, session_id, Action.SHARE)
            owner_email = s.scalar(select(User.email).where(User.id == sess.owner_id))
            if email in (owner_email, normalized_email(principal.email)):
                raise InvalidRequest("the owner already has every right on the session; invite someone else",
                                     code="CANNOT_SHARE_WITH_OWNER")
            now = datetime.now(UTC)
            row = s.scalar(select(SessionShare).where(SessionShare.session_id == sess.id,
                                                      SessionShare.email == email))
            created = row is None
            reopened = False
            if row is None:
                row = SessionShare(id=str(uuid.uuid4()), session_id=sess.id, email=email,
                                   user_id=s.scalar(select(User.id).where(User.email == email)),
                                   role=invite.role.value, status=ShareStatus.PENDING.value,
                                   monthly_credit_limit=invite.monthly_credit_limit,
                                   total_credit_limit=invite.total_credit_limit, invited_by=principal.user_id,
                                   created_at=now, updated_at=now, accepted_at=None)
                s.add(row)
                s.flush()
            else:
                row.role = invite.role.value
                for name in ("monthly_credit_limit", "total_credit_limit"):
                    if name in invite.model_fields_set:
                        setattr(row, name, getattr(invite, name))
                if row.status == ShareStatus.DECLINED:
                    row.status, row.accepted_at, reopened = ShareStatus.PENDING.value, None, True
                row.invited_by = principal.user_id
                row.updated_at = now
            share = self._share(row, principal.email)
            mail = (InvitationMail(to=email, inviter=principal.email, session_name=sess.name, role=row.role)
                    if created or reopened else None)
            return InviteResult(share, created), mail

    def shares(self, principal: Principal, session_id: str) -> list[Share]:
        """Everyone the session is shared with (pending, accepted and declined), oldest first."""
        with self.db.session() as s:
            sess = self._session_for(s, principal, session_id, Action.SHARE)
            inviter = aliased(User)
            found = s.execute(
                select(SessionShare, inviter.email).outerjoin(inviter, inviter.id == SessionShare.invited_by)
                .where(SessionShare.session_id == sess.id)
                .order_by(SessionShare.created_at, SessionShare.id)).all()
            return [self._share(row, inviter_email) for row, inviter_email in found]

    def update(self, principal: Principal, share_id: str, changes: ShareUpdate) -> Share:
        with self.db.session() as s:
            row = self._owned_share(s, principal, share_id)
            if changes.role is not None:
                row.role = changes.role.value
            for name in ("monthly_credit_limit", "total_credit_limit"):
                if name in changes.model_fields_set:
                    setattr(row, name, getattr(changes, name))
            row.updated_at = datetime.now(UTC)
            return self._share(row, self._email_of(s, row.invited_by))

    def revoke(self, principal: Principal, share_id: str) -> Share:
        """Delete the share: the collaborator's next request is refused (the door also ends their streams)."""
        with self.db.session() as s:
            row = self._owned_share(s, principal, share_id)
            share = self._share(row, self._email_of(s, row.invited_by))
            s.delete(row)
            return share

    # -- the invitee's side ----------------------------------------------------------------------
    def invitations(self, principal: Principal) -> list[Invitation]:
        """The caller's pending and accepted invitations, newest first (one query)."""
        with self.db.session() as s:
            return _invitations(s, SessionShare.user_id == principal.user_id,
                                SessionShare.status.in_([ShareStatus.PENDING, ShareStatus.ACCEPTED]))

    def accept(self, principal: Principal, share_id: str) -> Invitation:
        with self.db.session() as s:
            row = self._addressed_share(s, principal, share_id)
            if row.status == ShareStatus.DECLINED:
                raise Conflict("you declined this invitation; the owner can invite you again",
                               code="INVITATION_DECLINED")
            if row.status != ShareStatus.ACCEPTED:
                now = datetime.now(UTC)
                row.status, row.accepted_at, row.updated_at = ShareStatus.ACCEPTED.value, now, now
            return self._invitation(s, row)

    def decline(self, principal: Principal, share_id: str) -> Invitation:
        """Decline an invitation, or leave a session whose invitation was accepted."""
        with self.db.session() as s:
            row = self._addressed_share(s, principal, share_id)
            if row.status != ShareStatus.DECLINED:
                row.status, row.accepted_at, row.updated_at = ShareStatus.DECLINED.value, None, datetime.now(UTC)
            return self._invitation(s, row)

    # -- what the credits meter asks -------------------------------------------------------------
    def share_limits(self, session_id: str, user_id: str) -> tuple[int | None, int | None] | None:
        """(monthly, total) credit limits of ``user_id``'s accepted share of the session; None when they
        have none (the owner, or no share). The meter refuses a run that would cross one (CREDIT_LIMIT)."""
        with self.db.session() as s:
            found = s.execute(select(SessionShare.monthly_credit_limit, SessionShare.total_credit_limit).where(
                SessionShare.session_id == session_id, SessionShare.user_id == user_id,
                SessionShare.status == ACCEPTED)).first()
            return (found[0], found[1]) if found is not None else None

    def collaborator_limits(self, session_id: str, user_id: str) -> CollaboratorLimits | None:
        """``share_limits`` as the ledger's meter takes them (``LedgerMeter(share_limits=...)``)."""
        limits = self.share_limits(session_id, user_id)
        return CollaboratorLimits(monthly=limits[0], total=limits[1]) if limits is not None else None

    def credits_used(self, session_id: str, user_id: str | None) -> CreditsUsed:
        """Credits ``user_id`` spent in the session this (UTC) month and in total; an invitee without an
        account has spent nothing.

        # ledger: the composition root passes ``CreditLedger.credits_used(session_id, actor_id)``
        # as ``usage``; without it (tests of sharing alone) nothing is used.
        """
        if user_id is None:
            return CreditsUsed(this_month=0, total=0)
        this_month, total = self._usage(session_id, user_id)
        return CreditsUsed(this_month=this_month, total=total)

    def close(self) -> None:
        self.mailer.close()

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _session_for(s: Session, principal: Principal, session_id: str, action: Action) -> StudioSession:
        sess = s.get(StudioSession, session_id) if is_uuid(session_id) else None
        facts = facts_of(s, session_id, sess.owner_id if sess is not None else "", principal)
        require(principal, facts, action)
        assert sess is not None
        return sess

    @staticmethod
    def _owned_share(s: Session, principal: Principal, share_id: str) -> SessionShare:
        row = s.get(SessionShare, share_id) if is_uuid(share_id) else None
        if row is None:
            raise ShareNotFound("share not found")
        owner_id = s.scalar(select(StudioSession.owner_id).where(StudioSession.id == row.session_id)) or ""
        require_share_owner(principal, facts_of(s, row.session_id, owner_id, principal))
        return row

    @staticmethod
    def _addressed_share(s: Session, principal: Principal, share_id: str) -> SessionShare:
        row = s.get(SessionShare, share_id) if is_uuid(share_id) else None
        require_invitee(principal, row.user_id if row is not None else None)
        assert row is not None
        return row

    @staticmethod
    def _email_of(s: Session, user_id: str | None) -> str | None:
        return s.scalar(select(User.email).where(User.id == user_id)) if user_id else None

    def _share(self, row: SessionShare, inviter_email: str | None) -> Share:
        used = self.credits_used(row.session_id, row.user_id)
        return Share(id=row.id, session_id=row.session_id, email=row.email, user_id=row.user_id, role=row.role,
                     status=row.status, monthly_credit_limit=row.monthly_credit_limit,
                     total_credit_limit=row.total_credit_limit, invited_by=inviter_email,
                     created_at=row.created_at, updated_at=row.updated_at, accepted_at=row.accepted_at,
                     credits_used_this_month=used.this_month, credits_used_total=used.total)

    @staticmethod
    def _invitation(s: Session, row: SessionShare) -> Invitation:
        s.flush()
        [invitation] = _invitations(s, SessionShare.id == row.id)
        return invitation


def _invitations(s: Session, *where: ColumnElement[bool]) -> list[Invitation]:
    owner, inviter = aliased(User), aliased(User)
    found = s.execute(
        select(SessionShare, StudioSession.name, owner.email, inviter.email)
        .join(StudioSession, StudioSession.id == SessionShare.session_id)
        .join(owner, owner.id == StudioSession.owner_id)
        .outerjoin(inviter, inviter.id == SessionShare.invited_by)
        .where(*where).order_by(SessionShare.created_at.desc(), SessionShare.id)).all()
    return [Invitation(id=row.id, session_id=row.session_id, session_name=name, owner_email=owner_email,
                       role=row.role, status=row.status, monthly_credit_limit=row.monthly_credit_limit,
                       total_credit_limit=row.total_credit_limit, invited_by=inviter_email,
                       created_at=row.created_at, accepted_at=row.accepted_at)
            for row, name, owner_email, inviter_email in found]

"""Who may do what to a session and its media. Every route asks this module; nothing else decides.

Roles, weakest first: viewer (inspect), runner (execute), editor (change the graph), owner
(rename, delete, share, publish). A user with no role gets SESSION_NOT_FOUND, never FORBIDDEN, so
the existence of other people's sessions does not leak. Collaborators get their role from an
accepted share (``SessionFacts.shared_role``); pending, declined and revoked shares give none.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from .errors import (
    AppNotFound,
    Forbidden,
    InsufficientScope,
    InvoiceNotFound,
    MediaNotFound,
    PlanForbidsTool,
    SessionNotFound,
    ShareNotFound,
    SignedUrlExpired,
    SignedUrlInvalid,
    WebhookDeliveryNotFound,
    WebhookNotFound,
)


class Role(IntEnum):
    VIEWER = 1
    RUNNER = 2
    EDITOR = 3
    OWNER = 4


class Action(StrEnum):
    VIEW = "view"
    RUN = "run"
    EDIT = "edit"
    OWN = "own"
    SHARE = "share"


REQUIRED_ROLE = {Action.VIEW: Role.VIEWER, Action.RUN: Role.RUNNER, Action.EDIT: Role.EDITOR,
                 Action.OWN: Role.OWNER, Action.SHARE: Role.OWNER}


class ApiScope(StrEnum):
    """What an API key may do. ``FULL`` (the personal key) covers every scope and every door."""

    FULL = "*"
    READ = "read"
    GENERATE_IMAGE = "generate:image"
    GENERATE_VIDEO = "generate:video"
    WEBHOOKS = "webhooks"


#: Scopes a user may give a key they create through the AI Visual Studio door.
AIVS_SCOPES = (ApiScope.READ, ApiScope.GENERATE_IMAGE, ApiScope.GENERATE_VIDEO, ApiScope.WEBHOOKS)
#: Scopes of a Magnific apps key: read (list, get, poll) and run apps (``generate:image``: apps make media).
MAGNIFIC_SCOPES = (ApiScope.READ, ApiScope.GENERATE_IMAGE)
#: Scopes of a Studii key (``stu_``): read jobs, submit image jobs (and uploads), submit video jobs.
STUDII_SCOPES = (ApiScope.READ, ApiScope.GENERATE_IMAGE, ApiScope.GENERATE_VIDEO)


@dataclass(frozen=True)
class Principal:
    user_id: str
    email: str
    is_admin: bool = False
    via_api_key: bool = False
    key_id: str | None = None  # the API key used, if any
    scopes: frozenset[str] = frozenset({ApiScope.FULL})  # a login (no key) may do everything its user may


def require_scope(principal: Principal, scope: ApiScope) -> None:
    """An API key must carry the scope (or full access); a login carries every scope."""
    if ApiScope.FULL in principal.scopes or scope in principal.scopes:
        return
    raise InsufficientScope(f"this API key lacks the '{scope.value}' scope",
                            details={"required": scope.value, "granted": sorted(principal.scopes)})


def require_login_session(principal: Principal, action: str) -> None:
    """Some actions (managing API keys) are for a signed-in user, never for an API key."""
    if principal.via_api_key:
        raise InsufficientScope(f"{action} needs a signed-in web session; API keys cannot do it",
                                details={"reason": "web_session_required"})


@dataclass(frozen=True)
class SessionFacts:
    session_id: str
    owner_id: str
    shared_role: Role | None = None  # the principal's accepted share, if any


def role_in(principal: Principal, session: SessionFacts) -> Role | None:
    if session.owner_id == principal.user_id:
        return Role.OWNER
    return session.shared_role


def can(principal: Principal, session: SessionFacts, action: Action) -> bool:
    role = role_in(principal, session)
    return role is not None and role >= REQUIRED_ROLE[action]


def require(principal: Principal, session: SessionFacts, action: Action) -> Role:
    role = role_in(principal, session)
    if role is None:
        raise SessionNotFound("session not found")
    if role < REQUIRED_ROLE[action]:
        raise Forbidden(f"your role ({role.name.lower()}) cannot {action.value} this session")
    return role


def require_share_owner(principal: Principal, session: SessionFacts) -> None:
    """A share (by its id) is managed by the owner of its session; to anyone else it does not exist."""
    if role_in(principal, session) != Role.OWNER:
        raise ShareNotFound("share not found")


def require_invitee(principal: Principal, invitee_id: str | None) -> None:
    """An invitation is answered (accepted, declined) only by the account it was addressed to."""
    if invitee_id is None or invitee_id != principal.user_id:
        raise ShareNotFound("invitation not found")


def require_media(principal: Principal, owner_id: str, session: SessionFacts | None) -> None:
    """Media of a session are read by whoever may view that session (its creator too only while they may:
    a revoked collaborator loses what they made there with the rest); media outside any session (never
    attached, or their session was deleted) by their owner."""
    if session is not None:
        if can(principal, session, Action.VIEW):
            return
    elif owner_id == principal.user_id:
        return
    raise MediaNotFound("media not found")


def require_media_removal(principal: Principal, owner_id: str, session: SessionFacts | None) -> None:
    """Media are deleted by whoever made them, or by whoever may edit their session; anyone who may only
    see them is told no (403); anyone who may not see them, that they do not exist (404)."""
    require_media(principal, owner_id, session)
    require_scope(principal, ApiScope.FULL)
    if owner_id == principal.user_id or (session is not None and can(principal, session, Action.EDIT)):
        return
    raise Forbidden("only who made this media, or an editor of its session, may delete it")


class StudioAction(StrEnum):
    """Actions on the studio as a whole rather than on one session."""

    ADD_RECIPE = "add recipes for everyone"
    MANAGE_MODELS = "install or remove models"
    STOP_GPU_NOW = "stop the GPU runtime immediately (cancels everyone's running work)"
    STOP_GPU_OF_OTHERS = "stop a GPU runtime someone else started (unloads everyone's models)"
    SET_PLANS = "set users' plans"
    INSTALL_SIGNING_KEY = "install the key that signs every output's Content Credentials"


def require_studio(principal: Principal, action: StudioAction) -> None:
    """Studio-wide actions are for admins."""
    if not principal.is_admin:
        raise Forbidden(f"only admins may {action.value}")


def require_gpu_stop(principal: Principal, *, running: bool, started_by: str | None, immediate: bool) -> None:
    """The GPU runtime is shared: stopping it unloads every user's warm models.

    An immediate stop (cancels running work) is for admins; a graceful one also for the user
    who started the runtime. Stopping a stopped runtime changes nothing, so anyone may ask.
    """
    if principal.is_admin:
        return
    if immediate:
        require_studio(principal, StudioAction.STOP_GPU_NOW)
    if not running or (started_by is not None and started_by == principal.user_id):
        return
    raise Forbidden(f"only admins and the user who started it may {StudioAction.STOP_GPU_OF_OTHERS.value}")


def require_webhook(principal: Principal, owner_id: str, *, delivery: bool = False) -> None:
    """Webhook endpoints, their events and deliveries are their owner's alone (admins included:
    a signing secret and a delivery log are private). Others get the not-found answer an unknown
    id gets (WEBHOOK_NOT_FOUND, or WEBHOOK_DELIVERY_NOT_FOUND for a delivery)."""
    if owner_id != principal.user_id:
        if delivery:
            raise WebhookDeliveryNotFound("webhook delivery not found")
        raise WebhookNotFound("webhook not found")


def require_signed_link(*, signature_valid: bool, expired: bool) -> None:
    """A signed download link is its own credential: whoever holds a valid, unexpired one may read
    that one media item, without signing in (the way hosted APIs hand out CDN links)."""
    if not signature_valid:
        raise SignedUrlInvalid("the link's signature does not match")
    if expired:
        raise SignedUrlExpired("the link has expired")
def require_invoice(principal: Principal, owner_id: str) -> None:
    """An invoice is read by its buyer and by admins (who answer for the books); anyone else is told
    it does not exist, so invoice ids leak nothing."""
    if owner_id != principal.user_id and not principal.is_admin:
        raise InvoiceNotFound("invoice not found")


class AppVisibility(StrEnum):
    """Who may see and run a published app besides its owner."""

    PRIVATE = "private"  # the owner only
    TEAM = "team"  # also the people the owner shares sessions with (an accepted share)
    EVERYONE = "everyone"  # every user of this studio


@dataclass(frozen=True)
class AppFacts:
    owner_id: str
    visibility: str
    in_owners_team: bool = False  # the principal holds an accepted share of one of the owner's sessions


def can_use_app(principal: Principal, app: AppFacts) -> bool:
    """See an app's definition and run it."""
    if app.owner_id == principal.user_id or app.visibility == AppVisibility.EVERYONE:
        return True
    return app.visibility == AppVisibility.TEAM and app.in_owners_team


def require_app(principal: Principal, app: AppFacts | None) -> None:
    """An app the principal may not use does not exist for them (APP_NOT_FOUND): private apps leak nothing."""
    if app is None or not can_use_app(principal, app):
        raise AppNotFound("app not found")


def require_app_owner(principal: Principal, app: AppFacts | None) -> None:
    """Changing, deleting an app and reading its analytics are the owner's; those who may use it are
    told FORBIDDEN, anyone else APP_NOT_FOUND."""
    require_app(principal, app)
    assert app is not None
    if app.owner_id != principal.user_id:
        raise Forbidden("only the app's owner may change it or read its analytics")
def require_tool_in_plan(tool: str, plan: str | None, allowed_tools: tuple[str, ...]) -> None:
    """A Studii tool runs only when the user's plan includes it (``services/plans.py``); ``plan`` None:
    the studio sets no plan (billing off) and ``allowed_tools`` is every tool."""
    if tool not in allowed_tools:
        raise PlanForbidsTool(f"the {plan or 'current'} plan does not include the {tool!r} tool; "
                              f"it includes {', '.join(allowed_tools)}",
                              details={"tool": tool, "plan": plan, "allowed": list(allowed_tools)})

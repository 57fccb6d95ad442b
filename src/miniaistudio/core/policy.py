"""Who may do what to a session and its media. Every route asks this module; nothing else decides.

Roles, weakest first: viewer (inspect), runner (execute), editor (change the graph), owner
(rename, delete, share). A user with no role gets SESSION_NOT_FOUND, never FORBIDDEN, so
the existence of other people's sessions does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from .errors import Forbidden, MediaNotFound, SessionNotFound


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


REQUIRED_ROLE = {Action.VIEW: Role.VIEWER, Action.RUN: Role.RUNNER, Action.EDIT: Role.EDITOR,
                 Action.OWN: Role.OWNER}


@dataclass(frozen=True)
class Principal:
    user_id: str
    email: str
    is_admin: bool = False
    via_api_key: bool = False


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


def require_media(principal: Principal, owner_id: str, session: SessionFacts | None) -> None:
    """Media is readable by its owner and by anyone who may view its session."""
    if owner_id == principal.user_id:
        return
    if session is not None and can(principal, session, Action.VIEW):
        return
    raise MediaNotFound("media not found")


class StudioAction(StrEnum):
    """Actions on the studio as a whole rather than on one session."""

    ADD_RECIPE = "add recipes for everyone"
    MANAGE_MODELS = "install or remove models"
    STOP_GPU_NOW = "stop the GPU runtime immediately (cancels everyone's running work)"


def require_studio(principal: Principal, action: StudioAction) -> None:
    """Studio-wide actions are for admins."""
    if not principal.is_admin:
        raise Forbidden(f"only admins may {action.value}")

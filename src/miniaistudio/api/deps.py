"""Request dependencies: the studio, the signed-in principal and the active session id."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..core.errors import AuthorizationHeaderRequired, MissingSessionId
from ..core.policy import Principal
from ..services.execution import Execution
from ..studio import Studio
from .common.authentication import PRINCIPAL_STATE_KEY
from .common.credentials import TOKEN_COOKIE as TOKEN_COOKIE
from .common.credentials import read_credential
from .common.forwarded import TrustedProxies

SESSION_COOKIE = "mas_session"


def get_studio(request: Request) -> Studio:
    studio: Studio = request.app.state.studio
    return studio


StudioDep = Annotated[Studio, Depends(get_studio)]


def get_principal(request: Request, studio: StudioDep) -> Principal:
    verified = request.scope.get("state", {}).get(PRINCIPAL_STATE_KEY)
    if isinstance(verified, Principal):  # EarlyAuthentication already checked this request
        return verified
    credential = read_credential(request.headers)
    if credential is None:
        raise AuthorizationHeaderRequired("sign in or send 'Authorization: Bearer <token or mas_ key>'")
    return studio.accounts.principal_for(credential.value)


CurrentUser = Annotated[Principal, Depends(get_principal)]


def get_proxies(request: Request) -> TrustedProxies:
    """The reverse proxies the app believes (``app.state.proxies``, set by ``create_app``)."""
    proxies: TrustedProxies = request.app.state.proxies
    return proxies


ProxiesDep = Annotated[TrustedProxies, Depends(get_proxies)]


def get_client_address(request: Request, proxies: ProxiesDep) -> str:
    """The caller's address, through trusted proxies only (for throttling sign-ins)."""
    return proxies.client_address(request.scope)


ClientAddress = Annotated[str, Depends(get_client_address)]


def get_secure_cookies(request: Request, studio: StudioDep, proxies: ProxiesDep) -> bool:
    """Cookies get ``Secure`` when forced by ``cookie_secure`` or when the browser used https,
    directly or through a trusted proxy."""
    return studio.settings.cookie_secure or proxies.scheme(request.scope) == "https"


SecureCookies = Annotated[bool, Depends(get_secure_cookies)]


def get_session_id(request: Request) -> str:
    value = (request.headers.get("x-session-id") or request.cookies.get(SESSION_COOKIE) or "").strip()
    if not value:
        raise MissingSessionId("this endpoint needs the X-Session-ID header or a session cookie")
    return value


SessionId = Annotated[str, Depends(get_session_id)]


def get_execution(studio: StudioDep) -> Execution:
    assert studio.execution is not None, "studio not started"
    return studio.execution


ExecutionDep = Annotated[Execution, Depends(get_execution)]

"""Request dependencies every door shares: the studio, the signed-in principal, the caller's address."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ...core.errors import AuthorizationHeaderRequired
from ...core.policy import ApiScope, Principal, require_login_session, require_scope
from ...studio import Studio
from .authentication import PRINCIPAL_STATE_KEY, Authenticator
from .credentials import read_credential
from .forwarded import TrustedProxies


def get_studio(request: Request) -> Studio:
    studio: Studio = request.app.state.studio
    return studio


StudioDep = Annotated[Studio, Depends(get_studio)]


async def get_authenticator(request: Request) -> Authenticator:
    """How credentials become principals (``app.state.authenticator``, set by ``create_app``)."""
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator


async def get_caller(request: Request,
                     authenticator: Annotated[Authenticator, Depends(get_authenticator)]) -> Principal:
    """Whoever the request's credential names (a login or an API key), before any scope is asked.
    Async: a token verified moments ago costs no thread hop; a database check runs on a worker thread."""
    verified = request.scope.get("state", {}).get(PRINCIPAL_STATE_KEY)
    if isinstance(verified, Principal):  # EarlyAuthentication already checked this request
        return verified
    credential = read_credential(request.headers)
    if credential is None:
        raise AuthorizationHeaderRequired("sign in or send 'Authorization: Bearer <token or API key>'")
    return await authenticator.verify(credential, request.scope)


Caller = Annotated[Principal, Depends(get_caller)]


async def get_principal(caller: Caller) -> Principal:
    """The caller of an ``/api/v2`` route: a login or a full-access key (the personal key); keys
    scoped to a dialect's routes are refused here (``INSUFFICIENT_SCOPE``). Async, like the other
    checks that do no I/O: only ``get_caller`` (a database lookup) costs a worker-thread hop."""
    require_scope(caller, ApiScope.FULL)
    return caller


CurrentUser = Annotated[Principal, Depends(get_principal)]


class RequireScope:
    """A route's scope, declared where the route is: ``Depends(RequireScope(ApiScope.READ))``.
    Logins and full-access keys pass; a key without the scope gets ``INSUFFICIENT_SCOPE``."""

    def __init__(self, scope: ApiScope) -> None:
        self.scope = scope

    async def __call__(self, caller: Caller) -> Principal:
        require_scope(caller, self.scope)
        return caller


async def get_login_session(caller: Caller) -> Principal:
    """A signed-in user (the login cookie or its token), never an API key: for managing keys."""
    require_login_session(caller, "managing API keys")
    return caller


LoginSession = Annotated[Principal, Depends(get_login_session)]


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

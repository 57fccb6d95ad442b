"""Request dependencies every door shares: the studio, the signed-in principal, the caller's address."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ...core.errors import AuthorizationHeaderRequired
from ...core.policy import Principal
from ...studio import Studio
from .authentication import PRINCIPAL_STATE_KEY
from .credentials import read_credential
from .forwarded import TrustedProxies


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

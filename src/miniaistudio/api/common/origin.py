"""Refuse cross-site state-changing requests that ride on the login cookie.

``SameSite=Strict`` does not help between two ports of localhost (same site, different
origin) — the classic attack on local AI tools. So an unsafe method authenticated by the
cookie must prove it comes from our own origin: ``Origin`` equal to the request's own
scheme://host:port, or, when a browser sends no ``Origin``, ``Sec-Fetch-Site: same-origin|none``.
Requests with ``Authorization``/``X-API-Key`` are not affected: a browser cannot add those
headers cross-site without a CORS preflight, which the studio never grants. Anonymous
requests that a browser marks as cross-site are refused too (no login CSRF).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from ...core.errors import CrossSiteRequest, Unauthorized
from .credentials import read_credential
from .errors import EnvelopeFor, perimeter_refusal
from .forwarded import TrustedProxies

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_tuple(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            return None
        return scheme, parts.hostname.lower(), parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        return None


def same_origin(scope: Scope, headers: Headers, proxies: TrustedProxies) -> bool | None:
    """True/False when the browser says where the request comes from; None when it says nothing."""
    origin = headers.get("origin")
    if origin is not None:
        own = _origin_tuple(f"{proxies.scheme(scope)}://{proxies.host(scope)}")
        theirs = _origin_tuple(origin.strip())
        return own is not None and theirs == own
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.strip().lower() in ("same-origin", "none")
    return None


class CrossSiteGuard:
    def __init__(self, app: ASGIApp, *, proxies: TrustedProxies, envelope_for: EnvelopeFor,
                 exempt_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.envelope_for = envelope_for
        self.proxies = proxies
        self.exempt_paths = exempt_paths  # signed webhooks: servers call them, no browser credential counts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS and scope["path"] not in self.exempt_paths \
                and self._refused(scope):
            error = CrossSiteRequest("cross-site requests with the login cookie are refused; "
                                     "call the API with an Authorization header instead")
            await perimeter_refusal(self.envelope_for, scope["path"], error)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refused(self, scope: Scope) -> bool:
        headers = Headers(scope=scope)
        try:
            credential = read_credential(headers)
        except Unauthorized:
            return False  # a (malformed) header credential: authentication answers it
        if credential is not None and not credential.from_cookie:
            return False
        verdict = same_origin(scope, headers, self.proxies)
        if credential is None:
            return verdict is False
        return verdict is not True

"""Where a request carries its credential: ``Authorization: Bearer``, ``X-API-Key``,
``X-Magnific-Api-Key`` (the Magnific dialect's header, accepted on every door) or the login cookie.

One reader for the early authentication middleware, the cross-site check and the
``get_principal`` dependency, so they can never disagree about which credential a request uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from starlette.datastructures import Headers
from starlette.requests import cookie_parser

from ...core.errors import Unauthorized

TOKEN_COOKIE = "mas_token"
#: Headers that carry an API key, in the order they are read (after ``Authorization``).
API_KEY_HEADERS = ("x-api-key", "x-magnific-api-key")

CredentialSource = Literal["authorization", "api_key", "cookie"]


@dataclass(frozen=True)
class Credential:
    value: str
    source: CredentialSource

    @property
    def from_cookie(self) -> bool:
        """Browsers attach cookies to cross-site requests; they never add our headers without CORS."""
        return self.source == "cookie"


def read_credential(headers: Headers) -> Credential | None:
    """The request's credential, or None when it carries none; a malformed header is refused."""
    authorization = headers.get("authorization")
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized("the Authorization header must be 'Bearer <token>'",
                               details={"reason": "malformed_authorization_header"})
        return Credential(value.strip(), "authorization")
    for name in API_KEY_HEADERS:
        api_key = headers.get(name)
        if api_key and api_key.strip():
            return Credential(api_key.strip(), "api_key")
    cookie = cookie_parser(headers.get("cookie", "")).get(TOKEN_COOKIE)
    if cookie:
        return Credential(cookie, "cookie")
    return None

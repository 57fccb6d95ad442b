"""Authenticate before reading a body: an anonymous or forged request never costs an upload.

For a request that carries a body to a route that is not public, the credential is read
from the headers and verified (in a worker thread: it is a database lookup) before the
app may read a byte; failures answer 401 at once. The verified principal is kept in
``scope["state"]`` so the ``get_principal`` dependency does not verify it twice.

:class:`Authenticator` is the one place a credential becomes a principal, for every door: a login
token, or an API key checked against its IP allowlist (the client address through trusted proxies
only) and counted against its rate limit (the status is left in ``scope["state"]`` for the
``X-RateLimit-*`` headers, ``api/common/rate_limit_headers.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from ...core.errors import AuthorizationHeaderRequired, StudioError
from ...core.policy import Principal
from ...services.accounts import Accounts
from ...services.api_key_format import looks_like_key
from ...services.api_keys import ApiKeys
from ...services.rate_limits import KeyRateLimiter
from .body_limits import carries_body
from .credentials import Credential, read_credential
from .errors import EnvelopeFor, perimeter_refusal
from .forwarded import TrustedProxies

#: ``scope["state"]`` key of the principal verified by this middleware.
PRINCIPAL_STATE_KEY = "principal"
#: ``scope["state"]`` key of the API key's :class:`~miniaistudio.services.rate_limits.RateLimitStatus`.
RATE_LIMIT_STATE_KEY = "rate_limit"


class Authenticator:
    def __init__(self, accounts: Accounts, api_keys: ApiKeys, limiter: KeyRateLimiter,
                 proxies: TrustedProxies) -> None:
        self.accounts = accounts
        self.api_keys = api_keys
        self.limiter = limiter
        self.proxies = proxies

    def cached(self, credential: Credential) -> Principal | None:
        """A login token's principal verified moments ago (no I/O: safe on the event loop), else None.
        API keys are always verified: each use counts against the key's rate limit."""
        if looks_like_key(credential.value):
            return None
        return self.accounts.cached_principal(credential.value)

    async def verify(self, credential: Credential, scope: Scope) -> Principal:
        """:meth:`cached`, else the full check on a worker thread."""
        cached = self.cached(credential)
        return cached if cached is not None else await run_in_threadpool(self, credential, scope)

    def __call__(self, credential: Credential, scope: Scope) -> Principal:
        """The principal of a request's credential (blocking: run it off the event loop)."""
        if not looks_like_key(credential.value):
            return self.accounts.principal_for(credential.value)
        verified = self.api_keys.verify(credential.value, self.proxies.client_address(scope))
        status = self.limiter.hit(verified.key_id, verified.rate_limit_per_minute)
        scope.setdefault("state", {})[RATE_LIMIT_STATE_KEY] = status
        if status.exceeded:
            raise status.refusal()
        return verified.principal


class EarlyAuthentication:
    def __init__(self, app: ASGIApp, *, authenticate: Callable[[Credential, Scope], Awaitable[Principal]],
                 public_paths: frozenset[str], envelope_for: EnvelopeFor) -> None:
        self.app = app
        self.envelope_for = envelope_for
        self.authenticate = authenticate
        self.public_paths = public_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in self.public_paths:
            headers = Headers(scope=scope)
            if carries_body(headers):
                try:
                    credential = read_credential(headers)
                    if credential is None:
                        raise AuthorizationHeaderRequired(
                            "sign in or send 'Authorization: Bearer <token or API key>'")
                    principal = await self.authenticate(credential, scope)
                except StudioError as error:
                    await perimeter_refusal(self.envelope_for, scope["path"], error)(scope, receive, send)
                    return
                scope.setdefault("state", {})[PRINCIPAL_STATE_KEY] = principal
        await self.app(scope, receive, send)

"""Authenticate before reading a body: an anonymous or forged request never costs an upload.

For a request that carries a body to a route that is not public, the credential is read
from the headers and verified (in a worker thread: it is a database lookup) before the
app may read a byte; failures answer 401 at once. The verified principal is kept in
``scope["state"]`` so the ``get_principal`` dependency does not verify it twice.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from ...core.errors import AuthorizationHeaderRequired, StudioError
from ...core.policy import Principal
from .body_limits import carries_body
from .credentials import read_credential
from .errors import EnvelopeFor, perimeter_refusal

#: ``scope["state"]`` key of the principal verified by this middleware.
PRINCIPAL_STATE_KEY = "principal"


class EarlyAuthentication:
    def __init__(self, app: ASGIApp, *, verify: Callable[[str], Principal], public_paths: frozenset[str],
                 envelope_for: EnvelopeFor) -> None:
        self.app = app
        self.envelope_for = envelope_for
        self.verify = verify
        self.public_paths = public_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in self.public_paths:
            headers = Headers(scope=scope)
            if carries_body(headers):
                try:
                    credential = read_credential(headers)
                    if credential is None:
                        raise AuthorizationHeaderRequired(
                            "sign in or send 'Authorization: Bearer <token or mas_ key>'")
                    principal = await run_in_threadpool(self.verify, credential.value)
                except StudioError as error:
                    await perimeter_refusal(self.envelope_for, scope["path"], error)(scope, receive, send)
                    return
                scope.setdefault("state", {})[PRINCIPAL_STATE_KEY] = principal
        await self.app(scope, receive, send)

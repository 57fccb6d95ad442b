"""``Idempotency-Key`` on the POSTs of a door: a client that repeats a request (after a timeout, a
lost connection or a 5xx) with the same key gets the first answer again instead of a second run,
session or upload.

For a POST under the door's prefix carrying the header, the key is claimed for the caller (the
principal verified by ``authentication.py``, else a hash of the credential for a POST without a
body) in ``store/idempotency_keys.py``, and the request passes with its body hashed as the route
reads it. The answer streams to the client unchanged and is kept for 24 h with the request's
fingerprint (method, path, query, body less a multipart boundary), unless it is a 5xx, 401, 408, 409 or 429 (nothing was
done, or it is worth trying again), larger than :data:`MAX_STORED_BODY`, or the route did not read
the whole body: then the key is released.

The same key again: the same request → the stored answer with ``Idempotent-Replayed: true``;
another request → 422 ``IDEMPOTENCY_KEY_REUSED``; the first still running → 409
``IDEMPOTENCY_KEY_IN_FLIGHT`` with ``Retry-After``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...core.errors import IdempotencyKeyInFlight, IdempotencyKeyInvalid, IdempotencyKeyReused, StudioError
from ...core.policy import Principal
from ...store.idempotency_keys import IdempotencyKeys, StoredAnswer
from .authentication import PRINCIPAL_STATE_KEY
from .credentials import read_credential
from .errors import EnvelopeFor, perimeter_refusal

HEADER = "idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
#: Answers larger than this are not kept (the key is released).
MAX_STORED_BODY = 1024 * 1024
#: Answers that did nothing, or that the same request may get past: not kept.
NOT_KEPT = frozenset({401, 408, 409, 429})
#: Headers of an answer not replayed: they describe the first exchange, not the answer.
NOT_REPLAYED = ("content-length", "date", "server", "x-ratelimit-")


class _Fingerprint:
    """sha256 of the method, path, query and body of a request, fed as the body is received. A
    multipart body is hashed without its boundary: clients draw a new one for each sending."""

    def __init__(self, scope: Scope) -> None:
        self.digest = hashlib.sha256()
        for part in (scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1")):
            self.digest.update(part.encode() + b"\0")
        content_type = Headers(scope=scope).get("content-type", "")
        boundary = content_type.partition("boundary=")[2].split(";")[0].strip().strip('"')
        self.boundary = boundary.encode("latin-1") if content_type.startswith("multipart/") and boundary else b""
        self.pending = b""
        self.complete = False

    def feed(self, message: Message) -> None:
        if message["type"] != "http.request":
            return
        data = self.pending + message.get("body", b"")
        if self.boundary:
            data = data.replace(self.boundary, b"")
            keep = len(self.boundary) - 1  # the start of a boundary split across two chunks
            data, self.pending = (data[:-keep], data[-keep:]) if keep and len(data) > keep else (b"", data)
        self.digest.update(data)
        if not message.get("more_body", False):
            self.digest.update(self.pending)
            self.pending = b""
            self.complete = True

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


class IdempotentPosts:
    def __init__(self, app: ASGIApp, *, prefix: str, keys: Callable[[], IdempotencyKeys],
                 exempt_paths: frozenset[str], envelope_for: EnvelopeFor) -> None:
        self.app = app
        self.prefix = prefix.rstrip("/") + "/"
        self.keys = keys
        self.exempt_paths = exempt_paths
        self.envelope_for = envelope_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith(self.prefix)
                or scope["path"] in self.exempt_paths):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get(HEADER)
        principal = _principal_of(scope, headers) if key is not None else None
        if key is None or principal is None:  # no key, or no caller: the route answers as usual
            await self.app(scope, receive, send)
            return
        keys = self.keys()
        fingerprint = _Fingerprint(scope)
        try:
            if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
                raise IdempotencyKeyInvalid(f"an Idempotency-Key is 1 to {MAX_KEY_LENGTH} printable ASCII characters")
            claim = await run_in_threadpool(keys.claim, principal, key)
            if claim.outcome == "in_flight":
                raise IdempotencyKeyInFlight("a request with this Idempotency-Key is still being answered")
            if claim.answer is not None:
                await self._replay(receive, send, fingerprint, claim.answer)
                return
        except StudioError as error:
            await perimeter_refusal(self.envelope_for, scope["path"], error)(scope, receive, send)
            return
        await self._first(self.app, scope, receive, send, keys, principal, key, fingerprint)

    @staticmethod
    async def _replay(receive: Receive, send: Send, fingerprint: _Fingerprint, answer: StoredAnswer) -> None:
        """The stored answer, once the request's body proves to be the same."""
        while not fingerprint.complete:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left
            fingerprint.feed(message)
        if fingerprint.hexdigest() != answer.fingerprint:
            raise IdempotencyKeyReused("this Idempotency-Key was used with another request; use a new key")
        stored = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in answer.headers]
        await send({"type": "http.response.start", "status": answer.status,
                    "headers": [*stored, (b"content-length", str(len(answer.body)).encode()),
                                (REPLAYED_HEADER.lower().encode(), b"true")]})
        await send({"type": "http.response.body", "body": answer.body})

    @staticmethod
    async def _first(app: ASGIApp, scope: Scope, receive: Receive, send: Send, keys: IdempotencyKeys,
                     principal: str, key: str, fingerprint: _Fingerprint) -> None:
        """The request answered by the route, its answer kept for the key (or the key released)."""
        status = 0
        kept_headers: list[tuple[str, str]] = []
        body: list[bytes] = []
        size = 0

        async def hashing_receive() -> Message:
            message = await receive()
            fingerprint.feed(message)
            return message

        async def keeping_send(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = int(message["status"])
                kept_headers.extend((n.decode("latin-1"), v.decode("latin-1")) for n, v in message.get("headers", [])
                                    if not n.decode("latin-1").lower().startswith(NOT_REPLAYED))
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                size += len(chunk)
                if size <= MAX_STORED_BODY:
                    body.append(chunk)
            await send(message)

        try:
            await app(scope, hashing_receive, keeping_send)
        except BaseException:
            await run_in_threadpool(keys.release, principal, key)
            raise
        if status == 0 or status >= 500 or status in NOT_KEPT or size > MAX_STORED_BODY or not fingerprint.complete:
            await run_in_threadpool(keys.release, principal, key)
        else:
            await run_in_threadpool(keys.answer, principal, key, fingerprint.hexdigest(), status, kept_headers,
                                    b"".join(body))


def _principal_of(scope: Scope, headers: Headers) -> str | None:
    """Whose key space the key is in: the verified user, else (a POST without a body, not verified
    yet) a hash of the credential; None when the request carries no usable credential."""
    principal = scope.get("state", {}).get(PRINCIPAL_STATE_KEY)
    if isinstance(principal, Principal):
        return f"user:{principal.user_id}"
    try:
        credential = read_credential(headers)
    except StudioError:
        return None
    if credential is None:
        return None
    return "cred:" + hashlib.sha256(credential.value.encode()).hexdigest()[:64]

"""Cap request bodies before they are read: JSON and form bodies are small, uploads stream.

A declared ``Content-Length`` over the cap is refused before a byte is read; a chunked body
is counted as it arrives and refused the moment it passes the cap (the app then sees a
client disconnect and whatever it answers is dropped). Streamed upload routes keep their
own limit (``max_upload_bytes``, enforced while writing to disk by ``api/common/uploads.py``).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...core.errors import BodyTooLarge
from .errors import EnvelopeFor, perimeter_refusal


def carries_body(headers: Headers) -> bool:
    length = headers.get("content-length")
    return "transfer-encoding" in headers or (length is not None and length.strip() not in ("", "0"))


class BodyLimits:
    def __init__(self, app: ASGIApp, *, max_bytes: int, streamed_upload_paths: frozenset[str],
                 envelope_for: EnvelopeFor) -> None:
        self.app = app
        self.envelope_for = envelope_for
        self.max_bytes = max_bytes
        self.streamed_upload_paths = streamed_upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.streamed_upload_paths:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not carries_body(headers):
            await self.app(scope, receive, send)
            return
        declared = (headers.get("content-length") or "").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            await perimeter_refusal(self.envelope_for, scope["path"], self._error())(scope, receive, send)
            return

        received = 0
        refused = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not response_started:
                        await perimeter_refusal(self.envelope_for, scope["path"], self._error())(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return  # the 413 has been sent; the app's own answer to the "disconnect" is dropped
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not refused:
                raise
            # the app failed on the cut-off body; the client already has its 413

    def _error(self) -> BodyTooLarge:
        return BodyTooLarge(f"request bodies may be at most {self.max_bytes} bytes here",
                            details={"max_bytes": self.max_bytes})

"""Browser hardening headers on every answer; a Content-Security-Policy on every HTML page.

Every response: ``X-Content-Type-Options: nosniff`` (a download is never sniffed into HTML)
and ``Referrer-Policy: no-referrer``. HTML: the canvas' CSP (only our own scripts, no framing,
no foreign form targets) unless the page set its own (``/docs`` does), and ``X-Frame-Options``
for browsers without ``frame-ancestors``.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The canvas: React sets inline ``style`` attributes (node positions), hence 'unsafe-inline' for
#: styles only; images, media previews and the favicon may be blob: or data: URLs.
CANVAS_CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob: data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
))

ALWAYS = (("x-content-type-options", "nosniff"), ("referrer-policy", "no-referrer"))


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, html_csp: str = CANVAS_CSP) -> None:
        self.app = app
        self.html_csp = html_csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS:
                    headers.setdefault(name, value)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("content-security-policy", self.html_csp)
                    headers.setdefault("x-frame-options", "DENY")
            await send(message)

        await self.app(scope, receive, send_with_headers)

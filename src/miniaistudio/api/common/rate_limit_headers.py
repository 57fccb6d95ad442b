"""``X-RateLimit-Limit`` / ``-Remaining`` / ``-Reset`` on every answer to a key-authenticated request.

The :class:`~miniaistudio.api.common.authentication.Authenticator` leaves the key's rate-limit
status in ``scope["state"]``; this middleware adds the headers when the answer starts, so errors
(the 429 itself, a 404, a refused scope) carry them as well as successes.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...services.rate_limits import RateLimitStatus
from .authentication import RATE_LIMIT_STATE_KEY


class RateLimitHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = scope.get("state", {}).get(RATE_LIMIT_STATE_KEY)
                if isinstance(status, RateLimitStatus):
                    extra = [(k.lower().encode(), v.encode()) for k, v in status.headers().items()]
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

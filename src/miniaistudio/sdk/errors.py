"""The SDK's errors: what the studio answered (``ApiError`` with the stable ``code``), or why it
could not answer (``ApiConnectionError``, ``ApiTimeoutError``)."""

from __future__ import annotations

from typing import Any

from ..core.errors import StudioError


class ApiError(StudioError):
    """An error answer of /api/v2: ``{"code", "message", "details"?}`` and its HTTP status.

    Translate from ``code`` (stable), never from ``message``. An answer without the envelope (a
    proxy's error page) gets the code ``HTTP_<status>``.
    """

    def __init__(self, message: str, *, code: str, status: int, details: dict[str, Any] | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message, code=code, status=status, details=details)
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"ApiError(code={self.code!r}, status={self.status}, message={self.message!r})"

    def __str__(self) -> str:
        return f"{self.code} (HTTP {self.status}): {self.message}"


class ApiConnectionError(ApiError):
    """The studio could not be reached (refused, reset, DNS): code ``STUDIO_UNREACHABLE``."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="STUDIO_UNREACHABLE", status=0)


class ApiTimeoutError(ApiConnectionError):
    """The studio did not answer within the client's timeout: code ``STUDIO_TIMEOUT``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.code = "STUDIO_TIMEOUT"

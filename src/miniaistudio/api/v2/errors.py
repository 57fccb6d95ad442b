"""The v2 error envelope: ``{"code": ..., "message": ..., "details"?: ...}``."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from ..common.errors import ErrorAnswer, library_error_answer


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return body


def v2_envelope(error: ErrorAnswer) -> JSONResponse:
    return JSONResponse(error_body(error.code, error.message, error.details), status_code=error.status,
                        headers=error.headers)


def library_error_response(exc: BaseException) -> JSONResponse | None:
    """A library exception that bad input can raise, answered in the v2 envelope (None: not one)."""
    error = library_error_answer(exc)
    return v2_envelope(error) if error is not None else None

"""The Miraflow error envelope: the seed's ``{"result": "failure", "error": message}``, with the studio's
stable ``code`` and ``message`` (and ``details`` when there are some) beside it, so a Miraflow client
reads ``error`` and a studio client the usual ``{code, message, details}``.

Statuses follow the studio's, except validation refusals (409/422), which answer 400 like a Miraflow
bad request does; another user's job or media answers the same 404 as an unknown id.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from ..common.errors import ErrorAnswer


def miraflow_error(error: ErrorAnswer) -> tuple[int, dict[str, Any]]:
    """The Miraflow status and body of an error."""
    status = 400 if error.status in (409, 422) else error.status
    body: dict[str, Any] = {"result": "failure", "error": error.message, "code": error.code,
                            "message": error.message}
    if error.details:
        body["details"] = error.details
    return status, body


def miraflow_envelope(error: ErrorAnswer) -> JSONResponse:
    status, body = miraflow_error(error)
    return JSONResponse(body, status_code=status, headers=error.headers)

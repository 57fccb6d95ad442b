"""The Studii error envelope: ``{"error": "<human message>", "code": "<stable code>"}`` with the
seed's statuses: 400 bad request (a 422 never leaves this door; the message names the fields),
401 missing/malformed/revoked key, 402 out of credits or the key's spend cap, 403 the plan (or the
key's scopes) does not allow it, 404 not found or not yours, 429 rate limited (with Retry-After),
500 a real fault."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from ..common.errors import ErrorAnswer

#: studio code -> (Studii code, HTTP status); codes not listed follow their status (:func:`_by_status`).
CODES: dict[str, tuple[str, int]] = {
    "AUTHORIZATION_HEADER_REQUIRED": ("missing_api_key", 401),
    "INSUFFICIENT_BALANCE": ("insufficient_credits", 402),
    "CREDIT_LIMIT": ("insufficient_credits", 402),
    "SPEND_CAP_REACHED": ("spend_cap_reached", 402),
    "PLAN_FORBIDS_TOOL": ("plan_forbids_tool", 403),
    "INSUFFICIENT_SCOPE": ("insufficient_scope", 403),
    "IP_NOT_ALLOWED": ("ip_not_allowed", 403),
    "RATE_LIMITED": ("rate_limited", 429),
    "UPLOAD_NOT_FOUND": ("object_not_found", 404),
}
#: Statuses the seed's table has; anything else a client could see is mapped to one of them.
_STATUS_CODES = {400: "invalid_request", 401: "invalid_api_key", 402: "insufficient_credits", 403: "forbidden",
                 404: "not_found", 429: "rate_limited"}
#: HTTP-level refusals that keep their own status (the method, the body's size or type).
_HTTP_STATUSES = {405: "method_not_allowed", 413: "request_too_large", 415: "unsupported_media_type"}


def _fields(details: dict[str, Any]) -> list[tuple[str, str]]:
    """``[(field, message)]`` from the studio's ``details.errors`` (request-location prefixes dropped)."""
    found: list[tuple[str, str]] = []
    for error in details.get("errors", ()):
        if isinstance(error, dict):
            field = str(error.get("field", "")).replace("/", ".")
            for location in ("body.", "query.", "path."):
                if field.startswith(location):
                    field = field[len(location):]
            if field.isdigit():  # where in the body a JSON decode error is
                field = f"body (character {field})"
            found.append((field or "body", str(error.get("message", ""))))
    return found


def studii_error(error: ErrorAnswer) -> tuple[int, dict[str, str]]:
    """The Studii status and body of an error."""
    if error.code in CODES:
        code, status = CODES[error.code]
    elif error.status in _HTTP_STATUSES:
        status, code = error.status, _HTTP_STATUSES[error.status]
    elif error.status >= 500:
        status, code = 500, "internal_error"
    else:
        status = error.status if error.status in _STATUS_CODES else 400
        code = _STATUS_CODES[status]
    message = error.message
    fields = _fields(error.details or {})
    if status == 400 and fields:
        message = "; ".join(f"{field}: {text}" for field, text in fields[:10])
    return status, {"error": message, "code": code}


def studii_envelope(error: ErrorAnswer) -> JSONResponse:
    status, body = studii_error(error)
    return JSONResponse(body, status_code=status, headers=error.headers)

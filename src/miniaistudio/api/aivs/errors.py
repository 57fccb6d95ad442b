"""The AI Visual Studio error envelope: ``{"error": {"code", "message", "details"}}`` with the seed's codes.

Every error the studio raises (door-neutral :class:`ErrorAnswer`, v2-style codes) is spelled here in
the dialect's own small vocabulary and statuses; the studio's finer code stays in
``details.reason`` when the dialect's code is coarser, so nothing is lost.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from ..common.errors import ErrorAnswer

#: studio code -> (AIVS code, HTTP status); codes not listed follow their status (:func:`_by_status`).
CODES: dict[str, tuple[str, int]] = {
    "AUTHORIZATION_HEADER_REQUIRED": ("missing_api_key", 401),
    "INSUFFICIENT_SCOPE": ("insufficient_scope", 403),
    "IP_NOT_ALLOWED": ("ip_not_allowed", 403),
    "INSUFFICIENT_BALANCE": ("insufficient_credits", 403),  # the credits ledger (details: required, available)
    "CREDIT_LIMIT": ("insufficient_credits", 403),  # a collaborator's limit on a shared session
    "SPEND_CAP_REACHED": ("insufficient_credits", 403),  # the key's own cap (services/api_keys.py)
    "RATE_LIMITED": ("rate_limited", 429),
    "TOO_MANY_LOGIN_ATTEMPTS": ("rate_limited", 429),
    "INVALID_REQUEST": ("invalid_request", 400),
    "INVALID_JSON": ("invalid_request", 400),
    "JSON_TOO_DEEP": ("invalid_request", 400),
    "INTERNAL_ERROR": ("internal_error", 500),
}
#: Refusals of a key whose AIVS code is its own (``details.reason`` of the studio's UNAUTHORIZED).
KEY_REASONS = {"expired_api_key": "expired_api_key"}


def _by_status(status: int) -> str:
    if status == 401:
        return "invalid_api_key"
    if status == 403:
        return "insufficient_scope"
    if status == 404:
        return "not_found"
    if status == 429:
        return "rate_limited"
    if status >= 500:
        return "internal_error"
    return "invalid_request"


def _fields(details: dict[str, Any]) -> dict[str, str]:
    """``{field: message}`` from the studio's ``details.errors`` (request-location prefixes dropped)."""
    fields: dict[str, str] = {}
    for error in details.get("errors", ()):
        if isinstance(error, dict):
            field = str(error.get("field", ""))
            for location in ("body.", "query.", "path."):
                if field.startswith(location):
                    field = field[len(location):]
            fields.setdefault(field or "body", str(error.get("message", "")))
    return fields


def aivs_error(error: ErrorAnswer) -> tuple[int, dict[str, Any]]:
    """The AIVS status and body of an error."""
    details: dict[str, Any] = dict(error.details or {})
    if error.code in CODES:
        code, status = CODES[error.code]
    else:
        status = error.status
        code = _by_status(status)
        if error.code == "UNAUTHORIZED":
            code = KEY_REASONS.get(str(details.get("reason", "")), "invalid_api_key")
        if code == "invalid_request" and status in (409, 422):
            status = 400  # the seed's status for invalid_request (HTTP-level 405/413/415 keep theirs)
        details.setdefault("reason", error.code.lower())
    message = error.message
    if code == "invalid_request" and "errors" in details:
        fields = _fields(details)
        details = {key: value for key, value in details.items() if key != "errors"}
        details["fields"] = fields
        if fields:
            first, text = next(iter(fields.items()))
            message = f"{first}: {text}"
    return status, {"error": {"code": code, "message": message, "details": details}}


def aivs_envelope(error: ErrorAnswer) -> JSONResponse:
    status, body = aivs_error(error)
    return JSONResponse(body, status_code=status, headers=error.headers)

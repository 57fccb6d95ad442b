"""The Magnific error envelope: ``{"message", "code"[, "invalid_params"][, "details"]}``.

Magnific's public API answers errors as ``{"message": ...}`` and a refused request body as
``{"message", "invalid_params": [{"name", "reason"}]}`` (HTTP 400). We keep that shape and add the
studio's stable ``code`` (the same codes as ``/api/v2``: ``APP_NOT_FOUND``, ``INVALID_INPUTS``,
``UNAUTHORIZED``, ``INSUFFICIENT_BALANCE``, ...), so clients can branch on it. ``invalid_params``
names each refused input by its id (``input-<uuid>-<n>``) or body field. Statuses are the studio's,
except that every refused request body (422 in the studio) is a 400 as Magnific answers it.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from ..common.errors import ErrorAnswer

_LOCATIONS = ("body.inputs.", "body.", "query.", "path.")


def _invalid_params(details: dict[str, Any]) -> list[dict[str, str]]:
    """One entry per refused field; an input's value refused by the body's type check is named by its
    input id alone (not ``<id>.str``, ``<id>.int``... for each type it is not)."""
    params: dict[str, str] = {}
    for error in details.get("errors", ()):
        if isinstance(error, dict):
            name = str(error.get("field", ""))
            for location in _LOCATIONS:
                if name.startswith(location):
                    name = name[len(location):]
                    name = name.split(".", 1)[0] if location == "body.inputs." else name
                    break
            params.setdefault(name or "body", str(error.get("message", "")))
    return [{"name": name, "reason": reason} for name, reason in params.items()]


def magnific_error(error: ErrorAnswer) -> tuple[int, dict[str, Any]]:
    """The Magnific status and body of an error."""
    details: dict[str, Any] = dict(error.details or {})
    status = 400 if error.status == 422 else error.status
    body: dict[str, Any] = {"message": error.message, "code": error.code}
    if "errors" in details:
        body["invalid_params"] = _invalid_params(details)
        details.pop("errors")
    if details:
        body["details"] = details
    return status, body


def magnific_envelope(error: ErrorAnswer) -> JSONResponse:
    status, body = magnific_error(error)
    return JSONResponse(body, status_code=status, headers=error.headers)

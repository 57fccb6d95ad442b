"""Every error answers ``{"code": ..., "message": ...}``; no bad input becomes a 500.

Library exceptions that bad input can raise are mapped in one table, :data:`LIBRARY_ERRORS`,
to stable codes; the real exception is logged, never echoed (it may name server paths).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from PIL.Image import DecompressionBombError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..core.errors import StudioError

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "UPLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE",
    422: "INVALID_REQUEST", 429: "RATE_LIMITED",
}


@dataclass(frozen=True)
class LibraryError:
    """How one library exception that bad input can raise is answered."""

    exception: type[BaseException]
    code: str
    status: int
    message: str


#: Most specific first: JSONDecodeError and UnicodeError are ValueErrors.
LIBRARY_ERRORS: tuple[LibraryError, ...] = (
    LibraryError(RecursionError, "JSON_TOO_DEEP", 422, "the request is nested too deeply"),
    LibraryError(json.JSONDecodeError, "INVALID_JSON", 400, "the request body is not valid JSON"),
    LibraryError(UnicodeError, "INVALID_REQUEST", 400, "the request contains text that is not valid Unicode"),
    LibraryError(OverflowError, "INVALID_REQUEST", 400, "a number in the request is out of range"),
    LibraryError(DecompressionBombError, "IMAGE_TOO_LARGE", 413, "the image has too many pixels"),
)


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return body


def studio_error_response(exc: StudioError) -> JSONResponse:
    """The answer to a domain error, with the headers its status calls for."""
    headers: dict[str, str] = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, int):
        headers["Retry-After"] = str(max(1, retry_after))
    return JSONResponse(exc.to_dict(), status_code=exc.status, headers=headers or None)


def library_error_response(exc: BaseException) -> JSONResponse | None:
    for entry in LIBRARY_ERRORS:
        if isinstance(exc, entry.exception):
            return JSONResponse(error_body(entry.code, entry.message), status_code=entry.status)
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StudioError)
    async def _studio(_: Request, exc: StudioError) -> JSONResponse:
        return studio_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in err.get("loc", ())), "message": err.get("msg", ""),
             "type": err.get("type", "")}
            for err in exc.errors()
        ]
        first = errors[0] if errors else {"field": "", "message": "invalid request"}
        message = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        return JSONResponse(error_body("INVALID_REQUEST", message, {"errors": errors}), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # FastAPI answers a JSON body it cannot decode (bad UTF-8, a 5000-digit integer, nesting
        # deeper than the parser's stack) with a bare 400; answer like its own `json_invalid` (422
        # INVALID_REQUEST, the API's contract for malformed JSON), or JSON_TOO_DEEP for the nesting.
        cause = exc.__cause__
        if exc.status_code == 400 and cause is not None:
            log.info("unparsable body on %s %s: %r", request.method, request.url.path, cause)
            if isinstance(cause, RecursionError):
                return JSONResponse(error_body("JSON_TOO_DEEP", "the request body is nested too deeply"), 422)
            return JSONResponse(error_body("INVALID_REQUEST", "body: the request body is not valid JSON",
                                           {"errors": [{"field": "body", "message": "JSON decode error",
                                                        "type": "json_invalid"}]}), 422)
        code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ").lower()
        return JSONResponse(error_body(code, message), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    async def _library(request: Request, exc: Exception) -> JSONResponse:
        log.warning("bad input on %s %s", request.method, request.url.path, exc_info=exc)
        response = library_error_response(exc)
        assert response is not None  # registered only for the table's exceptions
        return response

    for entry in LIBRARY_ERRORS:
        app.add_exception_handler(entry.exception, _library)  # type: ignore[arg-type]

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(error_body("INTERNAL_ERROR", "unexpected server error"), status_code=500)

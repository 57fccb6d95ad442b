"""What went wrong, door-neutral: every exception becomes an :class:`ErrorAnswer` (status, stable
code, message, details, headers); each door's envelope turns it into its own JSON body.

Library exceptions that bad input can raise are mapped in one table, :data:`LIBRARY_ERRORS`,
to stable codes; the real exception is logged, never echoed (it may name server paths).
No bad input becomes a 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from PIL.Image import DecompressionBombError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ...core.errors import StudioError

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "UPLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE",
    422: "INVALID_REQUEST", 429: "RATE_LIMITED",
}


@dataclass(frozen=True)
class ErrorAnswer:
    """An error as every door knows it, before the door's envelope shapes the body."""

    status: int
    code: str
    message: str
    details: dict[str, Any] | None = None
    headers: dict[str, str] | None = None


#: A door's error envelope: how it spells an :class:`ErrorAnswer` on the wire.
Envelope = Callable[[ErrorAnswer], JSONResponse]
#: The envelope of the door a path is under (the perimeter middlewares answer through it too).
EnvelopeFor = Callable[[str], Envelope]


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
    # PostgreSQL refuses what SQLite stores (a NUL character in text, a number beyond the column's range):
    # the transaction was rolled back, nothing was written.
    LibraryError(DataError, "INVALID_REQUEST", 422, "the request holds a value the database cannot store"),
)

UNEXPECTED = ErrorAnswer(500, "INTERNAL_ERROR", "unexpected server error")


def studio_error_answer(exc: StudioError) -> ErrorAnswer:
    """A domain error, with the headers its status calls for."""
    headers: dict[str, str] = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, int):
        headers["Retry-After"] = str(max(1, retry_after))
    return ErrorAnswer(exc.status, exc.code, exc.message, exc.details or None, headers or None)


def perimeter_refusal(envelope_for: EnvelopeFor, path: str, exc: StudioError) -> JSONResponse:
    """A middleware's refusal, answered in the envelope of the door ``path`` is under."""
    return envelope_for(path)(studio_error_answer(exc))


def library_error_answer(exc: BaseException) -> ErrorAnswer | None:
    for entry in LIBRARY_ERRORS:
        if isinstance(exc, entry.exception):
            return ErrorAnswer(entry.status, entry.code, entry.message)
    return None


def validation_answer(exc: RequestValidationError) -> ErrorAnswer:
    errors = [
        {"field": ".".join(str(p) for p in err.get("loc", ())), "message": err.get("msg", ""),
         "type": err.get("type", "")}
        for err in exc.errors()
    ]
    first = errors[0] if errors else {"field": "", "message": "invalid request"}
    message = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    return ErrorAnswer(422, "INVALID_REQUEST", message, {"errors": errors})


def http_answer(request: Request, exc: StarletteHTTPException) -> ErrorAnswer:
    # FastAPI answers a JSON body it cannot decode (bad UTF-8, a 5000-digit integer, nesting
    # deeper than the parser's stack) with a bare 400; answer like its own `json_invalid` (422
    # INVALID_REQUEST, the API's contract for malformed JSON), or JSON_TOO_DEEP for the nesting.
    cause = exc.__cause__
    if exc.status_code == 400 and cause is not None:
        log.info("unparsable body on %s %s: %r", request.method, request.url.path, cause)
        if isinstance(cause, RecursionError):
            return ErrorAnswer(422, "JSON_TOO_DEEP", "the request body is nested too deeply")
        return ErrorAnswer(422, "INVALID_REQUEST", "body: the request body is not valid JSON",
                           {"errors": [{"field": "body", "message": "JSON decode error", "type": "json_invalid"}]})
    code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
    if exc.status_code == 404 and exc.detail == "Not Found":  # the router's own: no route has this path
        message = f"no route {request.url.path}"
    else:
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ").lower()
    headers = getattr(exc, "headers", None)
    return ErrorAnswer(exc.status_code, code, message, None, dict(headers) if headers else None)


def install_error_handlers(app: FastAPI, envelope_for: EnvelopeFor) -> None:
    """One set of handlers for the whole app; ``envelope_for(path)`` picks the door's envelope."""

    def answer(request: Request, error: ErrorAnswer) -> JSONResponse:
        return envelope_for(request.url.path)(error)

    @app.exception_handler(StudioError)
    async def _studio(request: Request, exc: StudioError) -> JSONResponse:
        return answer(request, studio_error_answer(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return answer(request, validation_answer(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return answer(request, http_answer(request, exc))

    async def _library(request: Request, exc: Exception) -> JSONResponse:
        log.warning("bad input on %s %s", request.method, request.url.path, exc_info=exc)
        error = library_error_answer(exc)
        assert error is not None  # registered only for the table's exceptions
        return answer(request, error)

    for entry in LIBRARY_ERRORS:
        app.add_exception_handler(entry.exception, _library)  # type: ignore[arg-type]

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return answer(request, UNEXPECTED)

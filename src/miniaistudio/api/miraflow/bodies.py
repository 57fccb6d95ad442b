"""Request bodies the seed accepts either as JSON or as ``multipart/form-data`` (text fields plus image
files): both are validated by the same model; uploaded files join the caller's gallery and are then
used by media id like any other, so a job never reads a request's temporary file."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from ...core.errors import InvalidRequest
from ...core.policy import Principal
from ...studio import Studio

Body = TypeVar("Body", bound=BaseModel)
MAX_FILES = 8
MAX_FIELDS = 32
#: Fields a multipart form may repeat (each occurrence one list item).
LIST_FIELDS = frozenset({"referenceImageMediaIds", "logoMediaIds"})


@dataclass(frozen=True)
class Uploaded:
    field: str  # the multipart part's name
    media_id: str  # the gallery media it became


def _validated(model: type[Body], data: Any) -> Body:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError([{**err, "loc": ("body", *err["loc"])} for err in exc.errors(
            include_url=False, include_context=False)]) from None


def documented(model: type[BaseModel], *, files: str) -> dict[str, Any]:
    """``openapi_extra`` for a route that reads its body itself: the model as JSON, or the same fields
    as a multipart form with image files (``files`` says which parts)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": schema},
        "multipart/form-data": {"schema": {"type": "object", "description": f"the same fields; {files}",
                                           "additionalProperties": True}}}}}


async def read_body(request: Request, model: type[Body], user: Principal, studio: Studio,
                    file_fields: dict[str, str] | None = None) -> tuple[Body, list[Uploaded]]:
    """The body as ``model``, and the image files of a multipart form added to the caller's gallery;
    ``file_fields`` names parts whose file stands for a media id field (``{"maskImage": "maskImageMediaId"}``).
    A body refused after its files were kept removes them again."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "multipart/form-data":
        raw = await request.body()
        try:
            data = json.loads(raw or b"null")
        except ValueError:
            raise InvalidRequest("the body is neither JSON nor multipart/form-data", code="INVALID_JSON") from None
        return _validated(model, data), []
    form = await request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS)
    fields: dict[str, Any] = {}
    files: list[tuple[str, UploadFile]] = []
    try:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                files.append((name, value))
            elif name in LIST_FIELDS:
                fields.setdefault(name, []).append(value)
            else:
                fields[name] = value
        uploaded: list[Uploaded] = []
        try:
            for name, upload in files:
                uploaded.append(Uploaded(name, await _ingest(studio, user, upload)))
                if file_fields and name in file_fields:
                    fields[file_fields[name]] = uploaded[-1].media_id
            body = _validated(model, fields)
        except BaseException:
            await asyncio.to_thread(studio.media.discard, user, [u.media_id for u in uploaded])
            raise
    finally:
        await form.close()
    return body, uploaded


async def _ingest(studio: Studio, user: Principal, upload: UploadFile) -> str:
    scratch = studio.settings.scratch_dir
    scratch.mkdir(parents=True, exist_ok=True)
    path = scratch / f"miraflow-{uuid.uuid4().hex}"
    try:
        data = await upload.read()
        await asyncio.to_thread(path.write_bytes, data)
        item = await asyncio.to_thread(studio.media.ingest, user, path, upload.filename or "upload",
                                       session_id=None, expect_kind="image")
    finally:
        await asyncio.to_thread(Path.unlink, path, True)
    return item.id


async def require_media(studio: Studio, user: Principal, media_ids: list[str]) -> None:
    """Every id names media the caller may read (else MEDIA_NOT_FOUND, before any job starts)."""
    for media_id in media_ids:
        await asyncio.to_thread(studio.media.get, user, media_id)

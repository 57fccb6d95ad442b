"""Values that travel along links: media references and text.

Media never travels by value: a :class:`MediaRef` names a file in the media store, so the
same task can run in-process or on a remote worker that shares the store.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .urls import Urls

MediaKind = Literal["image", "video", "audio"]


class MediaRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    media_id: str
    kind: MediaKind
    mime: str
    storage_key: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None

    def public(self, urls: Urls) -> dict[str, Any]:
        """What API clients see: no storage internals."""
        return media_output(self.media_id, self.kind, self.mime, self.width, self.height, self.duration, urls)


def media_output(media_id: str, kind: str, mime: str, width: int | None, height: int | None,
                 duration: float | None, urls: Urls) -> dict[str, Any]:
    """The one public view of a media output (node outputs, run states, events): ``media_id`` and
    ``kind``. (The gallery's view of a media row spells them ``id`` and ``media_type``.)"""
    return {"media_id": media_id, "kind": kind, "mime": mime, "width": width, "height": height,
            "duration": duration, "url": urls.media_download(media_id)}


class GpuToken(BaseModel):
    """Carried by GPU trigger links: proves the GPU Control node ran first."""

    model_config = ConfigDict(frozen=True)
    device: str = "cpu"
    auto_start: bool = True  # whether GPU nodes may start a stopped runtime (GPU Control's setting)


def encode_value(value: Any) -> Any:
    """A node output value as JSON (for the cache, the run record and executors)."""
    if isinstance(value, BaseModel):
        data = value.model_dump()
        data["__type__"] = type(value).__name__
        return data
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    return value


_DECODERS: dict[str, type[BaseModel]] = {"MediaRef": MediaRef, "GpuToken": GpuToken}


def decode_value(data: Any) -> Any:
    if isinstance(data, dict) and "__type__" in data:
        kind = data["__type__"]
        payload = {k: v for k, v in data.items() if k != "__type__"}
        return _DECODERS[kind].model_validate(payload)
    if isinstance(data, list):
        return [decode_value(v) for v in data]
    return data


def public_value(value: Any, urls: Urls) -> Any:
    if isinstance(value, MediaRef):
        return value.public(urls)
    if isinstance(value, GpuToken):
        return {"kind": "gpu", "device": value.device}
    if isinstance(value, list):
        return [public_value(v, urls) for v in value]
    return value


def public_outputs(outputs: dict[str, Any] | None, urls: Urls) -> dict[str, Any] | None:
    """Encoded node outputs (as stored and recorded) as clients see them."""
    if outputs is None:
        return None
    return {k: _public_encoded(v, urls) for k, v in outputs.items()}


def _public_encoded(value: Any, urls: Urls) -> Any:
    """An encoded output value as clients see it; media refs map directly, without re-validation."""
    if isinstance(value, dict) and value.get("__type__") == "MediaRef":
        return media_output(value["media_id"], value["kind"], value["mime"], value.get("width"),
                            value.get("height"), value.get("duration"), urls)
    if isinstance(value, list):
        return [_public_encoded(v, urls) for v in value]
    return public_value(decode_value(value), urls)

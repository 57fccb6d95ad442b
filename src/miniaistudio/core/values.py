"""Values that travel along links: media references and text.

Media never travels by value: a :class:`MediaRef` names a file in the media store, so the
same task can run in-process or on a remote worker that shares the store.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

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

    def public(self) -> dict[str, Any]:
        """What API clients see: no storage internals."""
        return {
            "media_id": self.media_id,
            "kind": self.kind,
            "mime": self.mime,
            "width": self.width,
            "height": self.height,
            "duration": self.duration,
            "url": f"/api/v2/media/{self.media_id}/download",
        }


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


def public_value(value: Any) -> Any:
    if isinstance(value, MediaRef):
        return value.public()
    if isinstance(value, GpuToken):
        return {"kind": "gpu", "device": value.device}
    if isinstance(value, list):
        return [public_value(v) for v in value]
    return value

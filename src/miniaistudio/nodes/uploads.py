"""Upload inputs: media the user uploaded to the gallery, one picked per run (selected or random)."""

from __future__ import annotations

import random
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, StringConstraints

from ..core.context import NodeContext
from ..core.errors import NodeFailed
from ..core.node import AudioOutput, ImageOutput, Node, VideoOutput, node
from ..core.values import MediaKind, MediaRef

MAX_UPLOADS = 200
MediaId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class _UploadNode(Node):
    """Shared parameters and picking; subclasses set the media kind and wrap the output."""

    media_kind: ClassVar[MediaKind]

    media_ids: list[MediaId] = Field(
        default_factory=list, max_length=MAX_UPLOADS,
        description="Files from your gallery, or uploaded here",
        json_schema_extra={"widget": "media", "multiple": True},
    )
    selection: Literal["selected", "random"] = Field(
        default="selected", description="Output the selected item, or a random one on every run")
    selected_index: int = Field(default=0, ge=0, lt=MAX_UPLOADS,
                                description="Which item to output when selection is 'selected' (0 = first)")
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1, json_schema_extra={"widget": "seed"},
                             description="Fixes the random pick; empty picks anew on every run")
    source_url: str = Field(default="", max_length=2048, pattern=r"^(https?://\S+)?$",
                            description="A public http(s) link fetched into the gallery when no file is "
                                        "uploaded (recipes use it; private addresses are refused)")

    @classmethod
    def cacheable(cls, params: dict[str, Any]) -> bool:
        return params.get("selection") != "random" or params.get("seed") is not None

    def pick(self, ctx: NodeContext) -> MediaRef:
        if not self.media_ids and self.source_url:
            return ctx.fetch_url(self.source_url, self.media_kind)
        if not self.media_ids:
            raise NodeFailed(f"no {self.media_kind} uploaded: add at least one file to this node",
                             code="NO_MEDIA")
        # Resolve every id (not only the pick) so a bad id fails every run, not one run in N.
        refs = [ctx.resolve_media(media_id) for media_id in self.media_ids]
        for ref in refs:
            if ref.kind != self.media_kind:
                raise NodeFailed(f"media {ref.media_id} is {ref.kind}; this node takes {self.media_kind}",
                                 code="WRONG_MEDIA_KIND",
                                 details={"media_id": ref.media_id, "kind": ref.kind})
        if self.selection == "random":
            return random.Random(self.seed).choice(refs)
        if self.selected_index >= len(refs):
            raise NodeFailed(f"selected_index {self.selected_index} is past the last of {len(refs)} items",
                             code="SELECTION_OUT_OF_RANGE")
        return refs[self.selected_index]


@node("upload.image", title="Upload Photo", category="Inputs")
class UploadPhoto(_UploadNode):
    """Photos from the gallery; outputs the selected one or a random one."""

    media_kind: ClassVar[MediaKind] = "image"

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        return ImageOutput(image=self.pick(ctx))


@node("upload.video", title="Upload Video", category="Inputs")
class UploadVideo(_UploadNode):
    """Videos from the gallery; outputs the selected one or a random one."""

    media_kind: ClassVar[MediaKind] = "video"

    def invoke(self, ctx: NodeContext) -> VideoOutput:
        return VideoOutput(video=self.pick(ctx))


@node("upload.audio", title="Upload Audio", category="Inputs")
class UploadAudio(_UploadNode):
    """Audio files from the gallery; outputs the selected one or a random one."""

    media_kind: ClassVar[MediaKind] = "audio"

    def invoke(self, ctx: NodeContext) -> AudioOutput:
        return AudioOutput(audio=self.pick(ctx))

"""Public models of the Miraflow talking-avatar video routes (``videos.py``), in the seed's camelCase."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from .schemas import MediaId, Name, Result, VideoJobStatus

Script = Annotated[str, StringConstraints(min_length=1, max_length=5000)]
VoiceId = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class VideoCreateRequest(BaseModel):
    """A talking-avatar video: the avatar speaks ``text`` in ``voiceId`` (default: the avatar's voice),
    or an uploaded audio track (``audioMediaId``) instead of a script."""

    avatarId: MediaId = Field(description="The avatar (GET /api/avatars)")
    name: Name = Field(description="The video's name")
    voiceId: VoiceId | None = Field(default=None, description="A voice (GET /api/voices); default: the avatar's")
    text: Script | None = Field(default=None, description="The script, spoken in the voice")
    audioMediaId: MediaId | None = Field(default=None,
                                         description="Studio extension: an uploaded audio track instead of text")
    im2vid_full: bool = Field(default=False,
                              description="true: animate the whole photo; false: a cropped head (faster)")


class VideoStatusPublic(VideoJobStatus):
    videoId: str | None = Field(default=None, description="When inference_complete: the video's id")
    reason: str | None = Field(default=None, description="Studio extension: why the job failed")


class VideoItem(BaseModel):
    id: str
    name: str
    sourceAvatarId: str
    createdAt: str = Field(description="ISO 8601, UTC, milliseconds")


class VideoListPublic(BaseModel):
    videos: list[VideoItem]


class VideoPublic(VideoItem):
    downloadUrl: str = Field(description="A signed, time-limited absolute link to the MP4 (no key needed)")


class VideoCreated(BaseModel):
    result: Result = "success"
    jobId: str

"""What a talking-avatar video is made from: the avatar's portrait and the voice that speaks.

Avatars are the door's (``services/miraflow_avatars.py``: stock portraits and users' own). The engine
reads a portrait from the gallery, so a stock avatar's shipped file is copied into the caller's gallery
for the job (a user's avatar already is one of their photos). Voice ids are the speech nodes' own, as
``GET /api/voices`` lists them; without one the avatar's default voice speaks.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ...core.errors import InvalidRequest
from ...core.policy import Principal
from ...services.miraflow_avatars import Avatar
from ...studio import Studio


@dataclass(frozen=True)
class VoiceSource:
    voice_id: str
    engine: str  # audio.tts's engine
    voice: str  # audio.tts's voice id


def portrait_of(studio: Studio, user: Principal, avatar: Avatar) -> str:
    """The media id of the avatar's photo in the caller's gallery (blocking: it may copy a stock portrait)."""
    if avatar.media_id is not None:
        return avatar.media_id
    assert avatar.stock_file is not None
    scratch = studio.settings.scratch_dir
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        copy = Path(tmp) / avatar.stock_file.name
        shutil.copyfile(avatar.stock_file, copy)  # the gallery takes the file it is given
        item = studio.media.ingest(user, copy, f"avatar-{avatar.stock_file.name}", session_id=None,
                                   expect_kind="image")
    return item.id


def resolve_voice(studio: Studio, voice_id: str) -> VoiceSource:
    """The voice that speaks the script (blocking: it lists the installed voices); VOICE_NOT_FOUND otherwise."""
    voice = next((v for v in studio.voices.voices().voices if v.id == voice_id), None)
    if voice is None:
        raise InvalidRequest(f"unknown voice {voice_id[:200]!r}; GET /api/voices lists them", code="VOICE_NOT_FOUND",
                             details={"errors": [{"field": "body.voiceId", "message": "unknown voice"}]})
    return VoiceSource(voice_id=voice.id, engine=voice.engine, voice=voice.id)

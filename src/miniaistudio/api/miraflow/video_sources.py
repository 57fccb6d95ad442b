"""What a talking-avatar video is made from: the avatar's portrait and the voice that speaks.

The seam the door's avatar and voice registry fills (``GET /api/avatars``, ``GET /api/voices``): until it
lands here, an avatar id is one of the caller's photos (a gallery image id, the ``isPhoto`` case), and a
voice id is a studio voice id (``piper:en_US-joe-medium``, ``espeak-ng:fr-fr``, as ``GET /api/v2/voices``
lists them); an avatar without a voice speaks with the studio's default voice.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...core.errors import MediaNotFound, NotFound
from ...core.policy import Principal
from ...studio import Studio


class AvatarNotFound(NotFound):
    code = "AVATAR_NOT_FOUND"


class VoiceNotFound(NotFound):
    code = "VOICE_NOT_FOUND"


@dataclass(frozen=True)
class AvatarSource:
    avatar_id: str
    portrait_media_id: str  # an image the caller may read
    voice_id: str | None  # the avatar's own voice, if it has one


@dataclass(frozen=True)
class VoiceSource:
    voice_id: str
    engine: str  # audio.tts's engine
    voice: str  # audio.tts's voice id


def resolve_avatar(studio: Studio, user: Principal, avatar_id: str) -> AvatarSource:
    """The caller's avatar (blocking: call it off the event loop); AVATAR_NOT_FOUND otherwise."""
    try:
        row = studio.media.get(user, avatar_id)
    except MediaNotFound:
        row = None
    if row is None or row.kind != "image":
        raise AvatarNotFound("avatar not found", details={"avatarId": avatar_id})
    return AvatarSource(avatar_id=avatar_id, portrait_media_id=row.id, voice_id=None)


def resolve_voice(studio: Studio, voice_id: str | None) -> VoiceSource:
    """The voice that speaks the script (blocking: it lists the installed voices); VOICE_NOT_FOUND otherwise."""
    catalog = studio.voices.voices()
    wanted = voice_id or catalog.default
    voice = next((v for v in catalog.voices if v.id == wanted), None)
    if voice is None:
        raise VoiceNotFound("voice not found; GET /api/voices lists them", details={"voiceId": wanted})
    return VoiceSource(voice_id=voice.id, engine=voice.engine, voice=voice.id)

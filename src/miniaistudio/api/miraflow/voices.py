"""``GET /api/voices``: the studio's text-to-speech voices (Piper, espeak-ng), listed under the seed's
``avatars`` key (sic). Voice ids are the speech nodes' own (``piper:en_US-lessac-medium``)."""

from __future__ import annotations

from fastapi import APIRouter

from ...services.miraflow_avatars import STOCK_CREATED
from ...services.voices import Voice
from ..common.deps import StudioDep
from .deps import Reader
from .jobs import iso_ms
from .schemas import VoiceList, VoicePublic

router = APIRouter(tags=["voices"])


def voice_public(voice: Voice) -> VoicePublic:
    return VoicePublic(id=voice.id, name=f"{voice.name} - {voice.language}", createdAt=iso_ms(STOCK_CREATED))


@router.get("/voices", summary="List voices (under the key 'avatars', as the seed has it)", response_model=VoiceList)
def list_voices(user: Reader, studio: StudioDep) -> VoiceList:
    return VoiceList(avatars=[voice_public(voice) for voice in studio.voices.voices().voices])

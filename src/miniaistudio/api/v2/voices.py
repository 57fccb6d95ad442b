"""Voices for Text to Speech and the Music Generator's lyrics, and the local language models."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from ..common.deps import CurrentUser, StudioDep
from .model_schemas import LlmModelsPublic, VoicesPublic
from .schemas import streamed_answer

router = APIRouter(tags=["voices"])


@router.get("/voices", summary="Text-to-speech voices: id, name, language and engine",
            response_model=VoicesPublic, response_model_exclude_unset=True)
async def list_voices(
    _: CurrentUser, studio: StudioDep,
    engine: Literal["piper", "espeak-ng"] | None = Query(default=None, description="Only this engine's voices"),
    language: str | None = Query(default=None, max_length=20, description="Language prefix, e.g. en or fr-fr"),
) -> VoicesPublic:
    return VoicesPublic.of(await asyncio.to_thread(studio.voices.voices, engine, language))


@router.get("/voices/sample", summary="A short sample of one voice (WAV), made once and then reused",
            response_class=FileResponse, responses=streamed_answer("audio/wav", "the voice saying one sentence"))
async def voice_sample(
    _: CurrentUser, studio: StudioDep,
    voice: str = Query(max_length=200, description="A voice id from GET /api/v2/voices, e.g. espeak-ng:en-us"),
) -> FileResponse:
    path = await asyncio.to_thread(studio.voice_samples.sample, voice)
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "private, max-age=86400"})


@router.get("/llm/models", summary="Local language models (GGUF) for the Text Refiner",
            response_model=LlmModelsPublic, response_model_exclude_unset=True)
async def list_llm_models(_: CurrentUser, studio: StudioDep) -> LlmModelsPublic:
    return LlmModelsPublic.of(await asyncio.to_thread(studio.voices.llm_models))

"""Voices for Text to Speech and the Music Generator's lyrics, and the local language models."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Query

from ..common.deps import CurrentUser, StudioDep
from .schemas import LlmModelsPublic, VoicesPublic

router = APIRouter(tags=["voices"])


@router.get("/voices", summary="Text-to-speech voices: id, name, language and engine",
            response_model=VoicesPublic, response_model_exclude_unset=True)
async def list_voices(
    _: CurrentUser, studio: StudioDep,
    engine: Literal["piper", "espeak-ng"] | None = Query(default=None, description="Only this engine's voices"),
    language: str | None = Query(default=None, max_length=20, description="Language prefix, e.g. en or fr-fr"),
) -> dict[str, Any]:
    from ...runtimes.models import tts

    voices = await asyncio.to_thread(tts.list_voices, studio.settings.resolved_models_dir)
    if engine:
        voices = [v for v in voices if v.engine == engine]
    if language:
        prefix = language.lower().replace("_", "-")
        voices = [v for v in voices if v.language.lower().startswith(prefix)]
    return {"voices": [v.to_dict() for v in voices], "engines": list(tts.ENGINES),
            "default": tts.default_voice(tts.PIPER)}


@router.get("/llm/models", summary="Local language models (GGUF) for the Text Refiner",
            response_model=LlmModelsPublic, response_model_exclude_unset=True)
async def list_llm_models(_: CurrentUser, studio: StudioDep) -> dict[str, Any]:
    from ...runtimes.models import assets

    root = studio.settings.resolved_models_dir
    models = await asyncio.to_thread(assets.list_llm_models, root)
    # where the folder is on the server is the admin's business: name it inside the models dir only
    folder = assets.llm_dir(root)
    name = folder.relative_to(root).as_posix() if folder.is_relative_to(root) else folder.name
    return {"models": [m.to_dict() for m in models], "default": assets.DEFAULT_LLM_FILE,
            "folder": name, "hint": f"drop .gguf files into the '{name}' folder of the studio's models directory"}

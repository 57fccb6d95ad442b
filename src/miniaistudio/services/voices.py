"""What the speech and text nodes can use: text-to-speech voices and local language models."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..runtimes.models import assets, tts
from ..runtimes.models.assets import LlmModelInfo
from ..runtimes.models.tts import Voice

__all__ = ["LlmModelInfo", "LlmModelList", "Voice", "VoiceCatalog", "VoiceList"]


@dataclass(frozen=True)
class VoiceList:
    voices: list[Voice]
    engines: list[str]
    default: str  # the voice the speech nodes use when none is chosen


@dataclass(frozen=True)
class LlmModelList:
    models: list[LlmModelInfo]
    default: str  # the default model's file name
    folder: str  # where .gguf files go, named inside the models dir (never a server path)
    hint: str


class VoiceCatalog:
    def __init__(self, models_dir: Path) -> None:
        self.models_dir = models_dir

    def voices(self, engine: str | None = None, language: str | None = None) -> VoiceList:
        """Installed voices, optionally of one engine and a language prefix (``en``, ``fr-fr``)."""
        found = tts.list_voices(self.models_dir)
        if engine:
            found = [v for v in found if v.engine == engine]
        if language:
            prefix = language.lower().replace("_", "-")
            found = [v for v in found if v.language.lower().startswith(prefix)]
        return VoiceList(voices=found, engines=list(tts.ENGINES), default=tts.default_voice(tts.PIPER))

    def llm_models(self) -> LlmModelList:
        """GGUF models for the Text Refiner; the folder is named inside the models dir, never as a server path."""
        root = self.models_dir
        models = assets.list_llm_models(root)
        folder = assets.llm_dir(root)
        name = folder.relative_to(root).as_posix() if folder.is_relative_to(root) else folder.name
        return LlmModelList(models=models, default=assets.DEFAULT_LLM_FILE, folder=name,
                            hint=f"drop .gguf files into the '{name}' folder of the studio's models directory")

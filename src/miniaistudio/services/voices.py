"""What the speech and text nodes can use: text-to-speech voices and local language models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..runtimes.models import assets, tts


class VoiceCatalog:
    def __init__(self, models_dir: Path) -> None:
        self.models_dir = models_dir

    def voices(self, engine: str | None = None, language: str | None = None) -> dict[str, Any]:
        """Installed voices, optionally of one engine and a language prefix (``en``, ``fr-fr``)."""
        found = tts.list_voices(self.models_dir)
        if engine:
            found = [v for v in found if v.engine == engine]
        if language:
            prefix = language.lower().replace("_", "-")
            found = [v for v in found if v.language.lower().startswith(prefix)]
        return {"voices": [v.to_dict() for v in found], "engines": list(tts.ENGINES),
                "default": tts.default_voice(tts.PIPER)}

    def llm_models(self) -> dict[str, Any]:
        """GGUF models for the Text Refiner; the folder is named inside the models dir, never as a server path."""
        root = self.models_dir
        models = assets.list_llm_models(root)
        folder = assets.llm_dir(root)
        name = folder.relative_to(root).as_posix() if folder.is_relative_to(root) else folder.name
        return {"models": [m.to_dict() for m in models], "default": assets.DEFAULT_LLM_FILE,
                "folder": name, "hint": f"drop .gguf files into the '{name}' folder of the studio's models directory"}

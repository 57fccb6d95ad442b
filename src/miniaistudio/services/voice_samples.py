"""A short sample of each text-to-speech voice, for the voice picker's ▶ button.

Synthesised by the same engines the speech nodes use, once per voice: the WAV is kept under the data
dir (``voice-samples/``) and served from there afterwards. Only voices the catalog lists are spoken,
so the request never reaches an engine with a name of the caller's choosing.
"""

from __future__ import annotations

import hashlib
import subprocess
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..core.errors import Canceled, VoiceNotFound
from ..runtimes.models import tts
from ..runtimes.models.model_cache import ModelCache
from ..runtimes.processes import children

#: What a sample says, by language prefix (English otherwise).
SAMPLE_TEXT = {
    "en": "Hello! This is how I sound in Mini AI Studio.",
    "fr": "Bonjour ! Voici ma voix dans Mini AI Studio.",
    "de": "Hallo! So klinge ich in Mini AI Studio.",
    "es": "¡Hola! Así suena mi voz en Mini AI Studio.",
    "it": "Ciao! Questa è la mia voce in Mini AI Studio.",
    "pt": "Olá! Esta é a minha voz no Mini AI Studio.",
    "nl": "Hallo! Zo klink ik in Mini AI Studio.",
}


class _SampleWork:
    """The part of a node's context that speech synthesis uses: scratch files and child processes."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch

    @property
    def canceled(self) -> bool:
        return False

    def check_canceled(self) -> None:
        if self.canceled:
            raise Canceled("canceled")

    def progress(self, fraction: float, message: str | None = None) -> None:
        return None

    def work_path(self, suffix: str) -> Path:
        return self.scratch / f"{uuid.uuid4().hex}{suffix}"

    def run_process(self, argv: Sequence[str], *, on_stderr_line: Callable[[str], None] | None = None,
                    timeout: float | None = None) -> subprocess.CompletedProcess[str]:
        return children.run(list(argv), timeout=timeout)


class VoiceSamples:
    def __init__(self, models_dir: Path, folder: Path, cache: ModelCache) -> None:
        self.models_dir = models_dir
        self.folder = folder
        self.cache = cache
        self._lock = threading.Lock()  # one synthesis at a time: a sample is small, the machine is not

    def sample(self, voice_id: str) -> Path:
        """The WAV of ``voice_id`` saying a short sentence in its language (made once, then reused)."""
        voice = next((v for v in tts.list_voices(self.models_dir) if v.id == voice_id), None)
        if voice is None:
            raise VoiceNotFound("no such voice; GET /api/v2/voices lists them", details={"voice": voice_id})
        name = hashlib.sha256(voice.id.encode()).hexdigest()[:32]
        path = self.folder / f"{name}.wav"
        if path.is_file():
            return path
        with self._lock:
            if path.is_file():
                return path
            self.folder.mkdir(parents=True, exist_ok=True)
            scratch = self.folder / f".work-{uuid.uuid4().hex}"
            scratch.mkdir()
            try:
                text = SAMPLE_TEXT.get(voice.language.lower()[:2], SAMPLE_TEXT["en"])
                out = scratch / "sample.wav"
                work: Any = _SampleWork(scratch)
                tts.synthesize(work, text, engine=voice.engine, voice=voice.id, rate=1.0, pitch=0.0, out=out,
                               cache=self.cache, variation=0.0)
                out.replace(path)  # whole files only: a reader never sees half a sample
            finally:
                for leftover in scratch.iterdir():
                    leftover.unlink(missing_ok=True)
                scratch.rmdir()
        return path

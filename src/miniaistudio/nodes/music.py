"""Music Generator: algorithmic composition rendered with FluidSynth, optional spoken lyrics.

Outputs the audio and the MIDI. The MIDI is not an image, video or audio file, so it
travels as text: the ``midi`` output is the Standard MIDI File in base64. The audio's
provenance records the composition (tempo, key, chords per section, arrangement,
instruments) and the MIDI's SHA-256, so the audio names the exact MIDI it was rendered from.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from ..core.context import NodeContext, Provenance
from ..core.errors import NodeFailed
from ..core.node import Node, NodeOutput, Socket, node
from ..core.sockets import SocketType
from ..core.values import MediaRef

Genre = Literal["auto", "lofi", "jazz", "electronic", "rock", "orchestral", "ambient", "folk", "piano", "pop"]
Mood = Literal["happy", "energetic", "calm", "romantic", "sad", "dark", "epic", "mysterious"]
SAMPLE_RATE = 44100
MAX_LYRIC_LINES = 64


class MusicOutput(NodeOutput):
    audio: Annotated[MediaRef, Socket(SocketType.AUDIO, description="The rendered music")]
    midi: Annotated[str, Socket(SocketType.TEXT, description="The Standard MIDI File, base64-encoded",
                                label="MIDI (base64)")]


@node("audio.music", title="Music Generator", category="Audio", tags=("music", "midi", "song"))
class MusicGenerator(Node):
    """Compose music from style notes, mood, tempo and key; render it with a General MIDI soundfont."""

    prompt: Annotated[str | None, Socket(SocketType.TEXT, required=False, label="Style notes",
                                         description="Added to the style notes (e.g. from Text Refiner)")] = None
    lyrics: Annotated[str | None, Socket(SocketType.TEXT, required=False, label="Lyrics",
                                         description="Lyrics to speak over the music; overrides lyrics_text")] = None
    style: str = Field(default="lofi hip hop with warm electric piano", max_length=2000,
                       description="Style notes: genre and instruments (lofi, jazz, rock, electronic, "
                                   "orchestral, ambient, folk, piano, pop); 'NN bpm' sets the tempo",
                       json_schema_extra={"widget": "textarea"})
    genre: Genre = Field(default="auto", description="The arrangement to play; auto = the genre named in the "
                                                     "style notes, or the nearest one we have (shown while it runs)")
    mood: Mood = "calm"
    tempo: int | None = Field(default=None, ge=40, le=220,
                              description="Beats per minute; empty = from the style notes or the mood")
    key: str = Field(default="auto", max_length=12, description="e.g. 'C major', 'A minor', 'F# minor' or auto")
    duration: float = Field(default=20.0, ge=2.0, le=600.0, description="Length in seconds")
    seed: int = Field(default=0, ge=0, le=2**31 - 1, json_schema_extra={"widget": "seed"})
    lyrics_text: str = Field(default="", max_length=10_000, json_schema_extra={"widget": "textarea"},
                             description="Lyrics (one line per phrase); [Verse]-style tags are skipped")
    vocal_engine: Literal["piper", "espeak-ng"] = "piper"
    voice: str = Field(default="", max_length=120, pattern=r"^[A-Za-z0-9_:+.\-]*$",
                       json_schema_extra={"widget": "voice", "options_url": "/api/v2/voices",
                                          "engine_param": "vocal_engine"},
                       description="Voice for the lyrics; empty = the engine's default")
    vocal_volume: float = Field(default=1.4, ge=0.0, le=4.0)
    ducking: bool = Field(default=True, description="Lower the music while the voice speaks")
    format: Literal["mp3", "wav"] = "mp3"

    def invoke(self, ctx: NodeContext) -> MusicOutput:
        from ..runtimes.creative import music
        from ..runtimes.media.ffmpeg import run_ffmpeg
        from ..runtimes.models import tts
        from ..runtimes.models.model_host import host_of
        from ..runtimes.tools import require_tool

        notes = " ".join(s for s in (self.style, self.prompt or "") if s.strip())
        choice = music.match_style(notes, self.genre)
        comp = music.compose(style_notes=notes, mood=self.mood, tempo=self.tempo, key=self.key,
                             duration=self.duration, seed=self.seed, style_name=choice.style.name)
        midi = music.midi_bytes(comp)
        mid_path = ctx.work_path(".mid")
        mid_path.write_bytes(midi)
        ctx.progress(0.1, f"{choice.explain()}, {comp.key_name}, {comp.tempo} bpm")

        rendered = ctx.work_path(".wav")
        proc = ctx.run_process([require_tool("fluidsynth"), "-ni", "-q", "-g", "0.7", "-r", str(SAMPLE_RATE),
                                "-T", "wav", "-F", str(rendered), str(music.soundfont()), str(mid_path)],
                               timeout=600)
        if proc.returncode != 0 or not rendered.is_file() or rendered.stat().st_size <= 44:
            raise NodeFailed(f"fluidsynth failed: {proc.stderr.strip()[-300:]}", code="MUSIC_RENDER_FAILED")
        ctx.progress(0.5, "rendered with FluidSynth")

        lyric_lines = _lyric_lines(self.lyrics if self.lyrics is not None else self.lyrics_text)
        placed: list[tuple[Path, float]] = []
        voice_id = None
        if lyric_lines:
            slots = comp.vocal_slots()
            cursor = 0.0
            for i, line in enumerate(lyric_lines):
                start = next((s for s in slots if s >= cursor), None)
                if start is None or start >= self.duration - 0.5:
                    break
                speech = tts.synthesize(ctx, line, engine=self.vocal_engine, voice=self.voice, rate=1.0,
                                        pitch=0.0, out=ctx.work_path(".wav"), cache=host_of(ctx).cache)
                voice_id = speech.voice
                placed.append((speech.path, start))
                cursor = start + tts.wav_seconds(speech.path) + 0.15
                ctx.progress(0.5 + 0.3 * (i + 1) / len(lyric_lines), line)

        # The music is composed by rules, not by a model: AI only if a neural voice sings the lyrics.
        neural_voice = bool(placed) and voice_id is not None and voice_id.startswith(f"{tts.PIPER}:")
        provenance = Provenance(
            ai_generated=neural_voice, synthesized=True, engine="algorithmic-composition+fluidsynth",
            ai_parts=[f"lyrics voice ({voice_id})"] if neural_voice else None,
            model=music.soundfont().name, prompt=notes, seed=self.seed,
            params=self.model_dump(exclude={"prompt", "lyrics"}), composition=comp.summary(),
            style_match=choice.summary(),
            midi_sha256=music.midi_sha256(midi),
            lyrics={"engine": self.vocal_engine, "voice": voice_id, "lines": [line for line, _ in
                    zip(lyric_lines, placed, strict=False)]} if placed else None,
        )
        out = ctx.work_path(f".{self.format}")
        run_ffmpeg(ctx, _mix_args(rendered, placed, self.duration, self.vocal_volume, self.ducking, self.format),
                   out, duration=self.duration, provenance=provenance)
        return MusicOutput(audio=ctx.store_file(out, "audio", provenance),
                           midi=base64.b64encode(midi).decode("ascii"))


def _lyric_lines(text: str | None) -> list[str]:
    lines = [ln.strip() for ln in (text or "").splitlines()]
    return [ln for ln in lines if ln and not (ln.startswith("[") and ln.endswith("]"))][:MAX_LYRIC_LINES]


def _mix_args(music_wav: Path, voices: list[tuple[Path, float]], duration: float, vocal_volume: float,
              ducking: bool, fmt: str) -> list[str]:
    fade = min(2.0, duration * 0.15)
    tail = (f"apad,atrim=0:{duration:.3f},afade=t=out:st={duration - fade:.3f}:d={fade:.3f},"
            f"alimiter=limit=0.95")
    args = ["-i", str(music_wav)]
    for path, _ in voices:
        args += ["-i", str(path)]
    if not voices:
        graph = f"[0:a]{tail}[out]"
    else:
        parts = [f"[{i + 1}:a]aresample={SAMPLE_RATE},aformat=channel_layouts=stereo,"
                 f"adelay=delays={round(start * 1000)}:all=1,volume={vocal_volume:.3f}[v{i}]"
                 for i, (_, start) in enumerate(voices)]
        labels = "".join(f"[v{i}]" for i in range(len(voices)))
        # apad: the vocals end long before the music; padded, they never end the mix early
        # (sidechaincompress stops at its shorter input, which silenced the rest of the track).
        parts.append(f"{labels}amix=inputs={len(voices)}:normalize=0:duration=longest,apad[voc]")
        if ducking:
            parts.append("[voc]asplit[key][vocmix]")
            parts.append("[0:a][key]sidechaincompress=threshold=0.02:ratio=6:attack=20:release=400[duck]")
            parts.append(f"[duck][vocmix]amix=inputs=2:normalize=0:duration=first,{tail}[out]")
        else:
            parts.append(f"[0:a][voc]amix=inputs=2:normalize=0:duration=first,{tail}[out]")
        graph = ";".join(parts)
    codec = ["-c:a", "libmp3lame", "-q:a", "2"] if fmt == "mp3" else ["-c:a", "pcm_s16le"]
    return [*args, "-filter_complex", graph, "-map", "[out]", "-ar", str(SAMPLE_RATE), *codec]

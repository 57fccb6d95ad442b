"""Text to Speech: Piper neural voices and espeak-ng voices in 100+ languages."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..core.context import NodeContext, Provenance
from ..core.errors import NodeFailed
from ..core.node import AudioOutput, Node, TextInput, node

MAX_PROMPT_IN_METADATA = 2000


@node("audio.tts", title="Text to Speech", category="Audio", tags=("tts", "voice", "speech"))
class TextToSpeech(Node):
    """Speak the text with a Piper voice (neural) or an espeak-ng voice (many languages)."""

    text: TextInput
    engine: Literal["piper", "espeak-ng"] = Field(default="piper", description="Synthesis engine")
    voice: str = Field(
        default="", max_length=120, pattern=r"^[A-Za-z0-9_:+.\-]*$",
        description="The voice that speaks, of the engine above (search by name or language); "
                    "empty uses the engine's default voice",
        json_schema_extra={"widget": "voice", "options_url": "/api/v2/voices", "engine_param": "engine"},
    )
    rate: float = Field(default=1.0, ge=0.5, le=2.0, description="Speaking speed (1 = normal)")
    pitch: float = Field(default=0.0, ge=-12.0, le=12.0, description="Pitch shift in semitones")
    variation: float = Field(default=1.0, ge=0.0, le=1.5,
                             description="Piper: how much delivery varies between takes (1 = the voice's own, "
                                         "0 = the same take every time)")
    format: Literal["wav", "mp3"] = "wav"

    def invoke(self, ctx: NodeContext) -> AudioOutput:
        from ..runtimes.media.ffmpeg import run_ffmpeg
        from ..runtimes.models import tts
        from ..runtimes.models.model_host import host_of

        text = (self.text or "").strip()
        if not text:
            raise NodeFailed("the text input is empty", code="INPUT_INVALID")
        raw = ctx.work_path(".wav")
        speech = tts.synthesize(ctx, text, engine=self.engine, voice=self.voice, rate=self.rate,
                                pitch=self.pitch, out=raw, variation=self.variation, cache=host_of(ctx).cache)
        provenance = Provenance(
            # Piper is a neural voice (AI); espeak-ng is formant synthesis by rules (not AI).
            ai_generated=speech.engine == tts.PIPER, synthesized=True, engine=speech.engine, model=speech.voice,
            prompt=text[:MAX_PROMPT_IN_METADATA], params=self.model_dump(exclude={"text"}),
            sample_rate=speech.sample_rate)
        if self.format == "wav" and not speech.pitch_filter:  # already final: add the metadata, no re-encode
            tts.add_wav_info(raw, {**provenance, "node_id": ctx.node_id, "run_id": ctx.run_id})
            return AudioOutput(audio=ctx.store_file(raw, "audio", provenance))
        out = ctx.work_path(f".{self.format}")
        args = ["-i", str(raw)]
        if speech.pitch_filter:
            args += ["-af", speech.pitch_filter]
        args += AUDIO_CODECS[self.format]
        run_ffmpeg(ctx, args, out, duration=tts.wav_seconds(raw), provenance=provenance)
        return AudioOutput(audio=ctx.store_file(out, "audio", provenance))


AUDIO_CODECS: dict[str, list[str]] = {
    "wav": ["-c:a", "pcm_s16le"],
    "mp3": ["-c:a", "libmp3lame", "-q:a", "2"],
}

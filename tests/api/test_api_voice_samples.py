"""The voice picker's ▶: a short sample per voice, synthesised by the server once and then reused;
only listed voices are spoken."""

from __future__ import annotations

import io
import wave

from conftest import Api
from miniaistudio.config import Settings

from .conftest import error_of


async def test_a_voice_sample_is_made_once_and_reused(api: Api, settings: Settings) -> None:
    r = await api.get("/api/v2/voices/sample", params={"voice": "espeak-ng:fr-fr"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(r.content)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    assert 1.0 < seconds < 8.0, seconds
    kept = list((settings.data_dir / "voice-samples").glob("*.wav"))
    assert len(kept) == 1
    made = kept[0].stat().st_mtime_ns
    again = await api.get("/api/v2/voices/sample", params={"voice": "espeak-ng:fr-fr"})
    assert again.content == r.content and kept[0].stat().st_mtime_ns == made  # served from the cache
    assert [p.name for p in (settings.data_dir / "voice-samples").iterdir()] == [kept[0].name]  # no leftovers


async def test_only_listed_voices_are_spoken(api: Api) -> None:
    for voice in ("espeak-ng:no-such-voice", "espeak-ng:-w /tmp/x", "piper:../../etc/passwd", ""):
        r = await api.get("/api/v2/voices/sample", params={"voice": voice})
        assert r.status_code == 404, (voice, r.text)
        assert error_of(r)["code"] == "VOICE_NOT_FOUND"
    missing = await api.get("/api/v2/voices/sample")
    assert missing.status_code == 422

"""Music Generator: duration, loudness, tempo from the MIDI, determinism, lyrics spoken over the music."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from audio_helpers import rms_db, run_graph, silences, words

from conftest import Api, download, edge, ffprobe, media_record, node, output


def midi_of(run: dict[str, object], node_id: str) -> bytes:
    return base64.b64decode(output(run, node_id, "midi"))  # type: ignore[arg-type]


async def test_music_has_duration_sound_tempo_and_is_deterministic(api: Api, tmp_path: Path) -> None:
    import pretty_midi

    common = {"style": "rock with electric guitars", "mood": "energetic", "tempo": 132, "key": "E minor",
              "duration": 9.0, "seed": 7}
    nodes = [node("a", "audio.music", **common, format="wav"),
             node("b", "audio.music", **common, format="mp3"),  # other params: computed again, same seed
             node("c", "audio.music", **{**common, "seed": 8}, format="wav"),
             node("d", "audio.music", style="ambient pads", mood="calm", duration=5.0, seed=1, format="mp3")]
    run = await run_graph(api, nodes)
    assert run["status"] == "succeeded", run

    audio = output(run, "a", "audio")
    assert abs(audio["duration"] - 9.0) <= 0.5
    assert abs(output(run, "b", "audio")["duration"] - 9.0) <= 0.5
    assert abs(output(run, "d", "audio")["duration"] - 5.0) <= 0.5
    wav = await download(api, audio["media_id"], tmp_path)
    assert ffprobe(wav)["streams"][0]["sample_rate"] == "44100"
    assert rms_db(wav) > -30.0  # clearly audible, not silence
    assert rms_db(wav, start=2.0, length=4.0) > -30.0  # sound throughout, not only at the start

    midi_a, midi_b, midi_c = midi_of(run, "a"), midi_of(run, "b"), midi_of(run, "c")
    assert midi_a == midi_b  # same seed, same MIDI bytes
    assert midi_a != midi_c
    pm = pretty_midi.PrettyMIDI(io.BytesIO(midi_a))
    _, tempi = pm.get_tempo_changes()
    assert abs(float(tempi[0]) - 132) < 0.5
    assert pm.key_signature_changes[0].key_number == 4 + 12  # E minor
    assert {i.name for i in pm.instruments} >= {"chords", "bass", "lead", "drums"}
    assert 8.5 <= pm.get_end_time() <= 9.0

    meta = (await media_record(api, audio["media_id"]))["metadata"]
    # composed by rules and rendered by a soundfont: algorithmic, never marked AI
    assert meta["ai_generated"] is False and meta["seed"] == 7
    assert '/digitalsourcetype/algorithmicMedia"' in ffprobe(wav)["format"]["tags"]["comment"]  # in the file
    assert meta["style_match"] == {"used": "rock", "how": "keyword", "term": "rock"}
    comp = meta["composition"]
    assert comp["tempo"] == 132 and comp["key"] == "E minor" and comp["style"] == "rock"
    assert comp["sections"][0]["name"] == "intro" and comp["chords"]
    import hashlib

    assert meta["midi_sha256"] == hashlib.sha256(midi_a).hexdigest()


async def test_lyrics_are_spoken_over_the_music(api: Api, tmp_path: Path) -> None:
    lyrics = "[Verse]\nSunlight on the water\nWe are dancing in the rain"
    nodes = [node("lyr", "text", text=lyrics),
             node("m", "audio.music", style="piano ballad", mood="calm", tempo=90, duration=12.0, seed=3,
                  vocal_volume=1.6),
             node("stt", "audio.transcribe", language="en")]
    run = await run_graph(api, nodes, [edge("lyr", "text", "m", "lyrics"), edge("m", "audio", "stt", "media")])
    assert run["status"] == "succeeded", run
    audio = output(run, "m", "audio")
    assert abs(audio["duration"] - 12.0) <= 0.5
    heard = set(words(output(run, "stt", "text")))
    sung = set(words("Sunlight on the water We are dancing in the rain")) - {"on", "the", "we", "are", "in"}
    assert len(heard & sung) >= 3, (heard, sung)
    meta = (await media_record(api, audio["media_id"]))["metadata"]
    assert meta["lyrics"]["lines"] == ["Sunlight on the water", "We are dancing in the rain"]
    assert meta["lyrics"]["voice"] == "piper:en_US-joe-medium"
    # a neural voice sings over algorithmic music: AI, as a composite
    assert meta["ai_generated"] is True and meta["ai_parts"] == ["lyrics voice (piper:en_US-joe-medium)"]
    in_file = ffprobe(await download(api, audio["media_id"], tmp_path))["format"]["tags"]["comment"]
    assert '/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"' in in_file


async def test_music_never_falls_silent_with_or_without_lyrics(api: Api, tmp_path: Path) -> None:
    """The backing track plays for the whole requested length, under and after the lyrics."""
    one_line = "We are dancing in the rain"
    four_lines = "Sunlight on the water\nWe are dancing in the rain\nHold the night a little longer\nSing it again"
    nodes = [node(name, "audio.music", style="lofi hip hop", mood="calm", duration=20.0, seed=5, format="wav",
                  lyrics_text=lyrics)
             for name, lyrics in (("none", ""), ("one", one_line), ("four", four_lines))]
    run = await run_graph(api, nodes)
    assert run["status"] == "succeeded", run
    for name in ("none", "one", "four"):
        audio = output(run, name, "audio")
        assert abs(audio["duration"] - 20.0) <= 0.3, (name, audio["duration"])
        wav = await download(api, audio["media_id"], tmp_path)
        assert silences(wav) == [], (name, silences(wav))
        assert rms_db(wav, start=15.0, length=3.0) > -35.0, name  # still playing near the end


async def test_free_text_genres_map_to_the_nearest_style_and_say_so(api: Api) -> None:
    cases = {"synth": ("synthwave night drive", "electronic", "nearest"),
             "typo": ("orchestal swell", "orchestral", "nearest"),
             "jazzy": ("jazzy brunch", "jazz", "nearest"),
             "none": ("something nice", "pop", "default"),
             "chosen": ("synthwave", "folk", "chosen")}
    nodes = [node(name, "audio.music", style=style, duration=3.0, seed=1, format="wav",
                  genre=expected if how == "chosen" else "auto")
             for name, (style, expected, how) in cases.items()]
    run = await run_graph(api, nodes)
    assert run["status"] == "succeeded", run
    for name, (_, expected, how) in cases.items():
        meta = (await media_record(api, output(run, name, "audio")["media_id"]))["metadata"]
        assert (meta["composition"]["style"], meta["style_match"]["how"]) == (expected, how), (name, meta)

"""Text to Speech, Speech to Text and Burn Captions, through the HTTP API with real models."""

from __future__ import annotations

from pathlib import Path

from audio_helpers import error_of, run_graph, word_error_rate
from PIL import Image, ImageChops, ImageStat

from conftest import Api, download, edge, ffprobe, media_record, node, output

SENTENCE = "The quick brown fox jumps over the lazy dog near the quiet river."


async def test_voices_endpoint_lists_piper_and_espeak_voices(api: Api) -> None:
    r = await api.get("/api/v2/voices")
    assert r.status_code == 200, r.text
    body = r.json()
    voices = {v["id"]: v for v in body["voices"]}
    joe = voices["piper:en_US-joe-medium"]
    assert joe["engine"] == "piper" and joe["language"] == "en-US" and joe["default"] is True and joe["name"]
    espeak = [v for v in body["voices"] if v["engine"] == "espeak-ng"]
    assert len(espeak) > 100  # many languages
    assert {"espeak-ng:fr-fr", "espeak-ng:de", "espeak-ng:es", "espeak-ng:en-us"} <= set(voices)
    assert all(set(v) >= {"id", "name", "language", "engine"} for v in body["voices"])
    r = await api.get("/api/v2/voices", params={"engine": "espeak-ng", "language": "fr"})
    assert r.status_code == 200
    assert {v["id"] for v in r.json()["voices"]} >= {"espeak-ng:fr-fr"}
    assert all(v["language"].startswith("fr") for v in r.json()["voices"])
    assert (await api.client.get("/api/v2/voices")).status_code == 401  # sign-in required


async def test_tts_to_stt_round_trip_recovers_the_words(api: Api, tmp_path: Path) -> None:
    nodes = [node("t", "text", text=SENTENCE),
             node("piper", "audio.tts", format="mp3", variation=0.0),
             node("espeak", "audio.tts", engine="espeak-ng", voice="espeak-ng:en-us", rate=0.85, format="wav"),
             node("fast", "audio.tts", rate=1.6, pitch=3.0),
             node("stt_piper", "audio.transcribe", language="en", beam_size=5),
             node("stt_espeak", "audio.transcribe", language="en", beam_size=5)]
    edges = [edge("t", "text", "piper", "text"), edge("t", "text", "espeak", "text"),
             edge("t", "text", "fast", "text"),
             edge("piper", "audio", "stt_piper", "media"), edge("espeak", "audio", "stt_espeak", "media")]
    run = await run_graph(api, nodes, edges)
    assert run["status"] == "succeeded", run

    piper_audio = output(run, "piper", "audio")
    assert piper_audio["kind"] == "audio" and piper_audio["mime"] == "audio/mpeg"
    assert 2.0 < piper_audio["duration"] < 8.0  # probed
    wer_piper = word_error_rate(SENTENCE, output(run, "stt_piper", "text"))
    wer_espeak = word_error_rate(SENTENCE, output(run, "stt_espeak", "text"))
    print(f"WER piper {wer_piper:.2f}, espeak-ng {wer_espeak:.2f}")
    # variation=0: Piper's sampling noise off, so the same take every time (with the voice's own
    # noise one take in a few blurs "quick brown"); the words must all come back.
    assert wer_piper <= 0.1, (wer_piper, output(run, "stt_piper", "text"))
    assert wer_espeak <= 0.35, (wer_espeak, output(run, "stt_espeak", "text"))

    # captions: SRT and WebVTT documents with timings inside the audio
    srt, vtt = output(run, "stt_piper", "srt"), output(run, "stt_piper", "vtt")
    assert srt.startswith("1\n00:00:0") and " --> " in srt
    assert vtt.startswith("WEBVTT\n\n00:00:0") and " --> " in vtt
    assert "fox" in srt.lower() and "fox" in vtt.lower()

    # rate: 1.6x speed is shorter; pitch shift keeps it a real recording
    fast = output(run, "fast", "audio")
    normal_wav = await download(api, output(run, "espeak", "audio")["media_id"], tmp_path)
    wav_info = ffprobe(normal_wav)
    assert wav_info["streams"][0]["codec_name"] == "pcm_s16le"
    assert '"engine": "espeak-ng"' in wav_info["format"]["tags"]["comment"]  # provenance inside the WAV
    assert fast["duration"] < 0.8 * piper_audio["duration"]

    record = await media_record(api, piper_audio["media_id"])
    meta = record["metadata"]
    assert meta["ai_generated"] is True and meta["engine"] == "piper"
    assert meta["model"] == "piper:en_US-joe-medium" and meta["prompt"] == SENTENCE
    espeak_meta = (await media_record(api, output(run, "espeak", "audio")["media_id"]))["metadata"]
    assert espeak_meta["engine"] == "espeak-ng" and espeak_meta["model"] == "espeak-ng:en-us"
    # formant synthesis by rules is not AI; the neural Piper voice is
    assert espeak_meta["ai_generated"] is False
    assert '/digitalsourcetype/algorithmicMedia"' in ffprobe(normal_wav)["format"]["tags"]["comment"]
    # the provenance is inside the file too
    mp3 = await download(api, piper_audio["media_id"], tmp_path)
    assert "piper" in ffprobe(mp3)["format"]["tags"]["comment"]


async def test_missing_voice_and_engine_mismatch_have_stable_codes(api: Api) -> None:
    nodes = [node("t", "text", text="hello"),
             node("nobody", "audio.tts", voice="piper:xx_XX-nobody-low"),
             node("bad_espeak", "audio.tts", engine="espeak-ng", voice="klingon-xx"),
             node("mismatch", "audio.tts", engine="piper", voice="espeak-ng:fr-fr")]
    run = await run_graph(api, nodes, [edge("t", "text", n, "text") for n in ("nobody", "bad_espeak", "mismatch")])
    missing = error_of(run, "nobody")
    assert missing["code"] == "VOICE_MISSING" and "pip install" in missing["message"]
    assert error_of(run, "bad_espeak")["code"] == "VOICE_MISSING"
    assert error_of(run, "mismatch")["code"] == "VOICE_ENGINE_MISMATCH"


SRT = """1
00:00:00,200 --> 00:00:01,400
Hello from the studio

2
00:00:01,500 --> 00:00:02,800
Captions burned in with libass
"""


async def test_burn_captions_keeps_duration_and_audio(api: Api, test_video: Path, tmp_path: Path) -> None:
    item = await api.upload(None, test_video)
    nodes = [node("v", "upload.video", media_ids=[item["id"]]), node("s", "text", text=SRT),
             node("burn", "video.burn_captions", font_size=22, box=True)]
    run = await run_graph(api, nodes, [edge("v", "video", "burn", "video"), edge("s", "text", "burn", "captions")])
    video = output(run, "burn", "video")
    assert video["kind"] == "video" and (video["width"], video["height"]) == (320, 240)
    assert abs(video["duration"] - 3.0) < 0.1
    out = await download(api, video["media_id"], tmp_path)
    kinds = {s["codec_type"]: s for s in ffprobe(out)["streams"]}
    assert kinds["audio"]["codec_name"] == "aac" and abs(float(kinds["audio"]["duration"]) - 3.0) < 0.1
    assert kinds["video"]["codec_name"] == "h264"

    def frame(path: Path, at: float, name: str) -> Image.Image:
        import subprocess

        dest = tmp_path / name
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", str(at), "-i", str(path),
                        "-frames:v", "1", str(dest)], check=True)
        return Image.open(dest).convert("RGB")

    before, after = frame(test_video, 1.0, "a.png"), frame(out, 1.0, "b.png")
    diff = ImageChops.difference(before, after)
    bottom = ImageStat.Stat(diff.crop((0, 180, 320, 240))).mean
    top = ImageStat.Stat(diff.crop((0, 0, 320, 120))).mean
    assert sum(bottom) / 3 > 8 * max(1.0, sum(top) / 3), (bottom, top)  # captions at the bottom only
    meta = (await media_record(api, video["media_id"]))["metadata"]
    assert meta["engine"] == "ffmpeg-libass" and meta["source"] == item["id"]

    bad = await run_graph(api, [node("v", "upload.video", media_ids=[item["id"]]), node("s", "text", text="no cues"),
                                node("burn", "video.burn_captions")],
                          [edge("v", "video", "burn", "video"), edge("s", "text", "burn", "captions")])
    assert error_of(bad, "burn")["code"] == "INPUT_INVALID"

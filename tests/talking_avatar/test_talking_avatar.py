"""Talking Avatar through the real app: TTS -> video.talking_avatar, measured on the output file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from avatar_helpers import (
    COFFEE,
    FPS,
    GRACE,
    MIN_LOUDNESS_CORRELATION,
    decode_audio,
    decode_frames,
    ffprobe,
    loudness_per_frame,
    mouth_openings,
    outside_box_mask,
    run_graph,
    speaking_graph,
)

from conftest import SHARED_MODELS_DIR, Api, download, edge, error_code, media_record, node, output


@pytest.fixture(scope="module", autouse=True)
def rhubarb_placed() -> None:
    """Rhubarb in the tests' shared models folder, as the set-up step places it (npm pack, once)."""
    from miniaistudio.runtimes.creative import rhubarb

    rhubarb.place(SHARED_MODELS_DIR)


async def test_tts_to_talking_avatar_full_frame_and_cropped(api: Api, tmp_path: Path) -> None:
    portrait = (await api.upload(None, GRACE))["id"]
    nodes, edges = speaking_graph(portrait, node("full", "video.talking_avatar", full_frame=True, fps=FPS),
                                  node("head", "video.talking_avatar", full_frame=False, fps=FPS, crop_size=384))
    run = await run_graph(api, nodes, edges)
    assert run["status"] == "succeeded", run
    speech = await download(api, output(run, "tts", "audio")["media_id"], tmp_path)
    speech_seconds = float(ffprobe(speech)["format"]["duration"])
    assert speech_seconds > 3.0

    for node_id, size in (("full", (512, 600)), ("head", (384, 384))):
        video_ref = output(run, node_id, "video")
        path = await download(api, video_ref["media_id"], tmp_path)
        info = ffprobe(path)
        streams = {s["codec_type"]: s for s in info["streams"]}
        assert "audio" in streams, node_id  # the speech is the soundtrack
        assert (int(streams["video"]["width"]), int(streams["video"]["height"])) == size
        duration = float(info["format"]["duration"])
        assert abs(duration - speech_seconds) <= 0.1, (node_id, duration, speech_seconds)

        frames = decode_frames(path)
        assert abs(len(frames) / FPS - speech_seconds) <= 0.1
        openings, box = mouth_openings(frames)
        seen = ~np.isnan(openings)
        assert seen.mean() > 0.95, "the face stays detectable in the output"
        loudness = loudness_per_frame(decode_audio(path), len(frames), FPS)
        r = float(np.corrcoef(openings[seen], loudness[seen])[0, 1])
        print(f"{node_id}: r(mouth opening, loudness) = {r:.3f}; max opening {np.nanmax(openings):.3f}")
        assert r > MIN_LOUDNESS_CORRELATION, (node_id, r)
        assert np.nanmax(openings) > 0.045  # the mouth really opens (closed: ~0.0)

        # The rest of the frame stays still: pixels away from the face change by codec noise only.
        still = outside_box_mask(frames.shape[1:3], box, grow=0.35)
        diff = np.abs(frames.astype(np.int16) - frames[:1].astype(np.int16)).mean(axis=3)
        outside = diff[:, still]
        print(f"{node_id}: outside the face mean diff {outside.mean():.2f}, p99 {np.percentile(outside, 99):.1f}")
        assert outside.mean() < 1.5 and np.percentile(outside, 99) < 8

        record = await media_record(api, video_ref["media_id"])
        meta = record["metadata"]
        assert meta["engine"] == "classical-talking-head" and meta["ai_generated"] is False
        assert meta["aligner"] == "rhubarb-1.13.0 (dialog)"  # the TTS text was read back from the speech


async def test_a_portrait_without_one_front_facing_face_is_refused(api: Api, tmp_path: Path) -> None:
    from PIL import Image

    pair, tilted = tmp_path / "pair.png", tmp_path / "tilted.png"
    with Image.open(GRACE) as one:
        both = Image.new("RGB", (one.width * 2, one.height))
        both.paste(one, (0, 0))
        both.paste(one, (one.width, 0))
        both.save(pair)
        one.rotate(45, expand=True, fillcolor=(40, 60, 160)).save(tilted)
    cases = {"cup": (COFFEE, "NO_FACE_FOUND"), "pair": (pair, "MULTIPLE_FACES"), "tilted": (tilted, "FACE_NOT_FRONTAL")}
    nodes = [node("t", "text", text="Hi."), node("tts", "audio.tts", engine="espeak-ng", voice="espeak-ng:en-us")]
    edges = [edge("t", "text", "tts", "text")]
    for name, (path, _code) in cases.items():
        nodes += [node(name, "upload.image", media_ids=[(await api.upload(None, path))["id"]]),
                  node(f"a_{name}", "video.talking_avatar")]
        edges += [edge(name, "image", f"a_{name}", "portrait"), edge("tts", "audio", f"a_{name}", "speech")]
    run = await run_graph(api, nodes, edges)
    for name, (_path, code) in cases.items():
        assert error_code(run, f"a_{name}") == code, name
    assert run["nodes"]["a_pair"]["error"]["details"]["faces"] == 2
    assert run["nodes"]["a_tilted"]["error"]["details"]["roll_degrees"] > 25

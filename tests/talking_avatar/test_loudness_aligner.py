"""Without Rhubarb (this test's models folder has none) the loudness aligner drives the mouth, says so in the
metadata, and the mouth still follows the speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from avatar_helpers import (
    FPS,
    GRACE,
    MIN_LOUDNESS_CORRELATION,
    decode_audio,
    decode_frames,
    loudness_per_frame,
    mouth_openings,
    run_graph,
    speaking_graph,
)

from conftest import Api, download, make_settings, media_record, node, output
from miniaistudio.config import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, models_dir=tmp_path / "models")


async def test_the_loudness_aligner_animates_in_step_with_the_speech(api: Api, tmp_path: Path) -> None:
    portrait = (await api.upload(None, GRACE))["id"]
    nodes, edges = speaking_graph(portrait, node("avatar", "video.talking_avatar", full_frame=False, fps=FPS),
                                  tts={"engine": "espeak-ng", "voice": "espeak-ng:en-us"})
    run = await run_graph(api, nodes, edges)
    video = output(run, "avatar", "video")
    meta = (await media_record(api, video["media_id"]))["metadata"]
    assert meta["aligner"] == "loudness-aligner (Rhubarb not installed)" and meta["mouth_cues"] > 5
    path = await download(api, video["media_id"], tmp_path)
    frames = decode_frames(path)
    openings, _box = mouth_openings(frames)
    seen = ~np.isnan(openings)
    loudness = loudness_per_frame(decode_audio(path), len(frames), FPS)
    r = float(np.corrcoef(openings[seen], loudness[seen])[0, 1])
    print(f"loudness aligner: r = {r:.3f}")
    assert r > MIN_LOUDNESS_CORRELATION, r

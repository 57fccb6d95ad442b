"""Camera moves on stills, classical upscaling, and video effects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cv_helpers import ASTRONAUT, COFFEE, fetch, frame_at, laplacian_variance, metadata, run_graph, upload
from cv_helpers import video_facts as facts
from PIL import Image

from conftest import Api, edge, node, output
from miniaistudio.runtimes.creative.camera_motion import CameraMove, render_new_view
from miniaistudio.runtimes.creative.classical_upscale import upscale_lanczos
from miniaistudio.runtimes.models.model_cache import ModelCache


def test_render_new_view_keeps_size_and_moves_layers() -> None:
    with Image.open(ASTRONAUT) as img:
        photo = img.convert("RGB")
    mask = Image.new("L", photo.size, 0)
    mask.paste(255, (60, 20, 360, 512))  # a rough person layer, given explicitly
    cache = ModelCache(2**30)
    same = render_new_view(photo, CameraMove(azimuth=0, elevation=0, distance=1.0), mask, cache=cache)
    assert same.size == photo.size and np.array_equal(np.asarray(same), np.asarray(photo))
    moved = render_new_view(photo, CameraMove(azimuth=35, elevation=10, distance=0.8), mask, cache=cache)
    assert moved.size == photo.size and moved.mode == "RGB"
    diff = np.abs(np.asarray(moved, dtype=np.float32) - np.asarray(photo, dtype=np.float32))
    assert diff.mean() > 10
    # No black (unfilled) borders: the background covers the frame after the move.
    def black_border(img: Image.Image) -> float:
        a = np.asarray(img)
        edges = np.concatenate([a[:2].reshape(-1, 3), a[-2:].reshape(-1, 3), a[:, :2].reshape(-1, 3),
                                a[:, -2:].reshape(-1, 3)])
        return float((edges.max(axis=1) < 3).mean())

    assert black_border(moved) <= black_border(photo) + 0.02
    auto = render_new_view(photo.resize((256, 256)), CameraMove(azimuth=-20, elevation=0, distance=1.3),
                           cache=cache)
    assert auto.size == (256, 256)
    with pytest.raises(ValueError):
        CameraMove(azimuth=0, elevation=90, distance=1)


@pytest.mark.parametrize("scale", [2, 4])
def test_upscale_lanczos_sizes_and_sharpness(scale: int) -> None:
    with Image.open(COFFEE) as img:
        small = img.convert("RGB").resize((150, 100), Image.Resampling.LANCZOS)
    up = upscale_lanczos(small, scale)
    assert up.size == (150 * scale, 100 * scale)
    plain = small.resize(up.size, Image.Resampling.LANCZOS)
    bicubic = small.resize(up.size, Image.Resampling.BICUBIC)
    assert laplacian_variance(up) > 1.5 * laplacian_variance(plain) > 1.5 * laplacian_variance(bicubic)
    # Detail is sharpened, not invented: the result stays close to the plain resize.
    assert np.abs(np.asarray(up, dtype=np.float32) - np.asarray(plain, dtype=np.float32)).mean() < 6
    rgba = small.copy()
    rgba.putalpha(128)
    assert upscale_lanczos(rgba, scale, sharpen=0.3).mode == "RGBA"


async def test_camera_move_node_ken_burns_and_parallax(api: Api, tmp_path: Path) -> None:
    photo = await upload(api, ASTRONAUT)
    nodes = [node("p", "upload.image", media_ids=[photo]),
             node("kb", "video.ken_burns", style="ken_burns", azimuth=30, distance=0.7, duration=2.0, fps=25,
                  width=320, height=240),
             node("px", "video.ken_burns", style="parallax", azimuth=-30, elevation=10, distance=0.9,
                  duration=1.2, fps=20, width=256)]
    run = await run_graph(api, nodes, [edge("p", "image", "kb", "image"), edge("p", "image", "px", "image")])
    kb = await fetch(api, output(run, "kb", "video")["media_id"], tmp_path)
    dur, frames, has_audio, size = facts(kb)
    assert size == (320, 240) and frames == 50 and abs(dur - 2.0) <= 0.1 and not has_audio
    first, last = frame_at(kb, 0.0, tmp_path), frame_at(kb, 1.9, tmp_path)
    assert np.abs(first - last).mean() > 5  # the camera moved
    px = await fetch(api, output(run, "px", "video")["media_id"], tmp_path)
    dur, frames, _, size = facts(px)
    assert size == (256, 256) and frames == 24 and abs(dur - 1.2) <= 0.1
    assert np.abs(frame_at(px, 0.0, tmp_path) - frame_at(px, 1.15, tmp_path)).mean() > 5
    meta = await metadata(api, output(run, "px", "video")["media_id"])
    assert meta["engine"] == "parallax-2.5d+opencv" and meta["classical"] is True


async def test_video_effects_presets_and_prompt(api: Api, tmp_path: Path, test_video: Path) -> None:
    video = await upload(api, test_video)  # 3 s, 320x240, 25 fps, with a tone
    nodes = [node("v", "upload.video", media_ids=[video]),
             node("fx", "video.effects", presets=["rain", "film_grain", "teal_orange", "vignette",
                                                  "cinematic_bars", "fog", "glow"], intensity=0.8),
             node("slow", "video.effects", prompt="moody noir scene in slow motion", intensity=0.5),
             node("ramp", "video.effects", presets=["speed_ramp", "snow", "light_leaks"], intensity=0.5),
             node("none", "video.effects", prompt="make it nice")]
    run = await run_graph(api, nodes, [edge("v", "video", n["id"], "video") for n in nodes[1:]])
    src = frame_at(test_video, 1.5, tmp_path)
    fx = await fetch(api, output(run, "fx", "video")["media_id"], tmp_path)
    dur, frames, has_audio, size = facts(fx)
    assert abs(dur - 3.0) <= 0.1 and frames == 75 and has_audio and size == (320, 240)
    out = frame_at(fx, 1.5, tmp_path)
    assert np.abs(out - src).mean() > 8
    assert out[:10].max() < 30  # the cinematic bars are black
    assert output(run, "fx", "applied") == "teal_orange, glow, fog, rain, film_grain, vignette, cinematic_bars"

    assert output(run, "slow", "applied") == "slow_motion, noir"
    slow = await fetch(api, output(run, "slow", "video")["media_id"], tmp_path)
    dur, _, has_audio, _ = facts(slow)
    assert abs(dur - 4.5) <= 0.15 and has_audio  # 1.5x slower, audio retimed with atempo
    gray = frame_at(slow, 2.0, tmp_path)
    assert np.abs(gray[:, :, 0] - gray[:, :, 2]).mean() < 3  # noir: no colour left

    ramp = await fetch(api, output(run, "ramp", "video")["media_id"], tmp_path)
    dur, _, has_audio, _ = facts(ramp)
    assert abs(dur - (3.0 - 0.9 + 0.9 / 2.0)) <= 0.15 and has_audio  # middle 30 % at 2x speed
    meta = await metadata(api, output(run, "fx", "video")["media_id"])
    assert meta["engine"] == "ffmpeg-filtergraph" and meta["presets"][0] == "teal_orange"
    assert run["nodes"]["none"]["error"]["code"] == "NO_EFFECT"

"""Depth, upscale, image-to-video and dynamic camera: model engines on tiny transformers/diffusers
models, and the classical engines labelled as such (never as model output)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from PIL import Image

from conftest import Api, edge, node
from miniaistudio.core.camera import camera_prompt

from .conftest import download, install, png_parameters, run_nodes, succeeded
from .test_generation import image_of

AI = "trainedAlgorithmicMedia"


async def photo_session(api: Api, image: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    session = await api.new_session()
    media_id = (await api.upload(session["id"], image))["id"]
    return session, node("photo", "upload.image", media_ids=[media_id])


def ffprobe(path: Path) -> dict[str, Any]:
    proc = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-print_format", "json", "-show_format",
                           "-show_streams", str(path)], capture_output=True, text=True, check=True)
    info: dict[str, Any] = json.loads(proc.stdout)
    return info


async def test_depth_map(admin: Api, tiny_dpt: Path, fixed_image: Path, tmp_path: Path) -> None:
    await install(admin, tiny_dpt)
    session, photo = await photo_session(admin, fixed_image)
    run, _ = await run_nodes(admin, [photo, node("depth", "image.depth")], [edge("photo", "image", "depth", "image")],
                             session=session)
    path = await image_of(admin, run, "depth", tmp_path)
    with Image.open(path) as img:
        assert (img.mode, img.size) == ("L", (64, 48))
        lo, hi = img.getextrema()  # type: ignore[misc]
        assert (lo, hi) == (0, 255)  # normalized relative depth
    prov = png_parameters(path)
    assert (prov["engine"], prov["architecture"], prov["model"]) == ("transformers", "DPTForDepthEstimation",
                                                                    "tiny-dpt")
    assert prov["ai_generated"] is True and prov["digital_source_type"].endswith(AI)


async def test_upscale_model_and_classical(admin: Api, tiny_swin2sr: Path, fixed_image: Path, tmp_path: Path) -> None:
    await install(admin, tiny_swin2sr)
    session, photo = await photo_session(admin, fixed_image)
    nodes = [photo, node("x2", "image.upscale", engine="tiny-swin2sr", scale=2),
             node("x4", "image.upscale", engine="tiny-swin2sr", scale=4),
             node("lanczos", "image.upscale", engine="classical", scale=2, sharpen=0.8)]
    edges = [edge("photo", "image", target, "image") for target in ("x2", "x4", "lanczos")]
    run, _ = await run_nodes(admin, nodes, edges, session=session)

    x2 = await image_of(admin, run, "x2", tmp_path)
    x4 = await image_of(admin, run, "x4", tmp_path)
    with Image.open(x2) as a, Image.open(x4) as b:
        assert (a.size, b.size) == ((128, 96), (256, 192))
    p2, p4 = png_parameters(x2), png_parameters(x4)
    assert (p2["engine"], p2["model_passes"], p4["model_passes"], p4["model_factor"]) == ("transformers", 1, 2, 4)
    assert p2["ai_generated"] is True and p2["digital_source_type"].endswith(AI)

    classical = await image_of(admin, run, "lanczos", tmp_path)
    with Image.open(classical) as img:
        assert img.size == (128, 96)
    prov = png_parameters(classical)
    assert prov["engine"] == "classical-lanczos" and prov["ai_generated"] is False
    assert not prov["digital_source_type"].endswith(AI) and "model" not in prov


async def test_image_to_video_model_and_classical(admin: Api, tiny_svd: Path, fixed_image: Path,
                                                  tmp_path: Path) -> None:
    await install(admin, tiny_svd)
    session, photo = await photo_session(admin, fixed_image)
    nodes = [photo,
             node("svd", "video.from_image", engine="tiny-svd", frames=4, fps=8, steps=2, seed=11,
                  motion_strength=0.7),
             node("cam", "video.from_image", engine="classical", style="parallax", duration=0.5, fps=8,
                  motion="orbit_right")]
    edges = [edge("photo", "image", "svd", "image"), edge("photo", "image", "cam", "image")]
    run, _ = await run_nodes(admin, nodes, edges, session=session)

    video = succeeded(run, "svd", "video")
    path = await download(admin, video["media_id"], tmp_path / "svd.mp4")
    info = ffprobe(path)
    stream = info["streams"][0]
    assert (stream["codec_name"], stream["nb_read_frames"]) == ("h264", "4")
    comment = json.loads(info["format"]["tags"]["comment"])
    assert (comment["model"], comment["engine"], comment["seed"], comment["frames"]) == ("tiny-svd", "diffusers",
                                                                                        11, 4)
    assert comment["pipeline"] == "StableVideoDiffusionPipeline" and comment["digital_source_type"].endswith(AI)
    assert "motion_bucket_id" in comment["pipeline_args"]
    record = (await admin.get(f"/api/v2/media/{video['media_id']}")).json()
    assert record["media_type"] == "video" and record["metadata"]["model"] == "tiny-svd"

    classical = succeeded(run, "cam", "video")
    info = ffprobe(await download(admin, classical["media_id"], tmp_path / "cam.mp4"))
    comment = json.loads(info["format"]["tags"]["comment"])
    assert comment["engine"] == "classical-parallax" and comment["ai_generated"] is False
    assert not comment["digital_source_type"].endswith(AI)
    assert comment["camera"] == {"azimuth": 20.0, "elevation": 0.0, "distance": 1.0}  # orbit_right at 0.5


async def test_dynamic_camera(admin: Api, tiny_pix2pix: Path, tiny_lora: Path, fixed_image: Path,
                              tmp_path: Path) -> None:
    await install(admin, tiny_pix2pix)
    await install(admin, tiny_lora)
    session, photo = await photo_session(admin, fixed_image)
    nodes = [photo,
             node("model", "image.dynamic_camera", engine="tiny-pix2pix", azimuth=45, elevation=30, distance=1.0,
                  steps=2, seed=5),
             node("classical", "image.dynamic_camera", engine="classical", azimuth=20, elevation=10, distance=0.8)]
    edges = [edge("photo", "image", "model", "image"), edge("photo", "image", "classical", "image")]
    run, _ = await run_nodes(admin, nodes, edges, session=session)

    prov = png_parameters(await image_of(admin, run, "model", tmp_path))
    assert prov["prompt"] == camera_prompt(45, 30, 1.0) == "<sks> front-right quarter view elevated shot medium shot"
    assert [(item["id"], item["weight"]) for item in prov["loras"]] == [("camera-angles", 1.0)]
    assert (prov["pipeline"], prov["ai_generated"]) == ("StableDiffusionInstructPix2PixPipeline", True)
    assert prov["camera"] == {"azimuth": 45.0, "elevation": 30.0, "distance": 1.0}

    classical = await image_of(admin, run, "classical", tmp_path)
    prov = png_parameters(classical)
    assert prov["engine"] == "classical-parallax" and prov["ai_generated"] is False
    assert not prov["digital_source_type"].endswith(AI)
    with Image.open(classical) as img:
        assert img.size == (64, 48)

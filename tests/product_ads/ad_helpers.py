"""Shared steps of the product mockup and ad tests: test images, graph runs over HTTP, measurements."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from conftest import Api

PRODUCT_SIZE = (480, 600)  # a shirt-like product: width, height
FOLD_ROWS = (150, 175)  # a horizontal fold (darker band) crossing the upper chest


def shirt_image(path: Path) -> Path:
    """A light grey product lit from the top left, with a dark fold band across the chest."""
    w, h = PRODUCT_SIZE
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    lum = 200.0 - 30.0 * (xs / w) - 20.0 * (ys / h)
    lum[FOLD_ROWS[0]:FOLD_ROWS[1]] *= 0.55
    rgb = np.clip(np.stack([lum, lum, lum * 1.02], axis=2), 0, 255).astype(np.uint8)
    Image.fromarray(rgb, "RGB").save(path)
    return path


def logo_image(path: Path) -> Path:
    """A 160x100 logo on a transparent ground: a red disc, a blue bar and a yellow square (asymmetric,
    so rotations and mirror images are told apart)."""
    img = Image.new("RGBA", (160, 100), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((8, 10, 88, 90), fill=(220, 30, 30, 255))
    draw.rectangle((96, 12, 150, 40), fill=(30, 60, 220, 255))
    draw.rectangle((100, 56, 130, 88), fill=(240, 210, 20, 255))
    img.save(path)
    return path


async def run_graph(api: Api, nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> dict[str, Any]:
    session = await api.new_session()
    await api.save_graph(session, {"nodes": nodes, "edges": edges})
    return await api.run(session["id"])


async def upload(api: Api, path: Path) -> str:
    return str((await api.upload(None, path))["id"])


async def fetch(api: Api, media_id: str, dest: Path, suffix: str = ".bin") -> Path:
    r = await api.get(f"/api/v2/media/{media_id}/download")
    assert r.status_code == 200, r.text
    path = dest / f"{media_id}{suffix}"
    path.write_bytes(r.content)
    return path


async def metadata(api: Api, media_id: str) -> dict[str, Any]:
    r = await api.get(f"/api/v2/media/{media_id}")
    assert r.status_code == 200, r.text
    meta: dict[str, Any] = r.json()["metadata"]
    return meta


def video_facts(path: Path) -> tuple[float, int, tuple[int, int]]:
    """(duration from ffprobe, decoded frame count, (width, height))."""
    proc = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-print_format", "json", "-show_format",
                           "-show_streams", str(path)], capture_output=True, text=True, check=True)
    info = json.loads(proc.stdout)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    return float(info["format"]["duration"]), int(video["nb_read_frames"]), (int(video["width"]),
                                                                             int(video["height"]))


def frames_at(path: Path, seconds: list[float], size: tuple[int, int]) -> list[NDArray[np.float32]]:
    """Decoded RGB frames at the given times (one ffmpeg call per frame, raw RGB on stdout)."""
    out = []
    for at in seconds:
        proc = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-ss", f"{at}", "-i", str(path),
                               "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                              capture_output=True, check=True)
        out.append(np.frombuffer(proc.stdout, np.uint8).reshape(size[1], size[0], 3).astype(np.float32))
    return out

"""Shared steps of the vision tests: run graphs over HTTP, fetch outputs, probe and measure them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from conftest import FIXTURES, Api, ffmpeg_media

ASTRONAUT = FIXTURES / "astronaut.png"  # 512x512, one face
GRACE = FIXTURES / "grace_hopper.jpg"  # 512x600, one face
COFFEE = FIXTURES / "coffee.png"  # 600x400, a cup on a table
CHELSEA = FIXTURES / "chelsea.png"  # 451x300, a cat


async def run_graph(api: Api, nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> dict[str, Any]:
    session = await api.new_session()
    await api.save_graph(session, {"nodes": nodes, "edges": edges})
    return await api.run(session["id"])


async def upload(api: Api, path: Path) -> str:
    return str((await api.upload(None, path))["id"])


async def metadata(api: Api, media_id: str) -> dict[str, Any]:
    r = await api.get(f"/api/v2/media/{media_id}")
    assert r.status_code == 200, r.text
    meta: dict[str, Any] = r.json()["metadata"]
    return meta


async def fetch(api: Api, media_id: str, dest: Path) -> Path:
    r = await api.get(f"/api/v2/media/{media_id}/download")
    assert r.status_code == 200, r.text
    path = dest / f"{media_id}.bin"
    path.write_bytes(r.content)
    return path


async def fetch_image(api: Api, media_id: str, dest: Path) -> Image.Image:
    with Image.open(await fetch(api, media_id, dest)) as img:
        img.load()
        return img


def ffprobe(path: Path) -> dict[str, Any]:
    proc = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-print_format", "json", "-show_format",
                           "-show_streams", str(path)], capture_output=True, text=True, check=True)
    info: dict[str, Any] = json.loads(proc.stdout)
    return info


def video_facts(path: Path) -> tuple[float, int, bool, tuple[int, int]]:
    """(duration, decoded frame count, has audio, (width, height))."""
    info = ffprobe(path)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    has_audio = any(s["codec_type"] == "audio" for s in info["streams"])
    return (float(info["format"]["duration"]), int(video["nb_read_frames"]), has_audio,
            (int(video["width"]), int(video["height"])))


def frame_at(path: Path, seconds: float, dest: Path) -> NDArray[np.float32]:
    out = dest / f"frame-{path.stem}-{seconds:.2f}.png"
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-ss", f"{seconds}", "-i", str(path),
                    "-frames:v", "1", str(out)], check=True)
    with Image.open(out) as img:
        return np.asarray(img.convert("RGB"), dtype=np.float32)


def portrait_clip(tmp_path: Path, photo: Path, seconds: float = 2.0, size: int = 384) -> Path:
    """A still portrait as a video with a tone: ``seconds`` long, 25 fps, H.264 + AAC."""
    return ffmpeg_media(tmp_path, f"{photo.stem}-clip.mp4", "-loop", "1", "-framerate", "25", "-i", str(photo),
                        "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-t", str(seconds),
                        "-vf", f"scale={size}:-2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
                        "-shortest")


def face_hull_mask(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The face-oval hull of the (first) face, found by mediapipe directly (not through the studio)."""
    import cv2
    import mediapipe as mp

    h, w = rgb.shape[:2]
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True) as mesh:
        result = mesh.process(rgb)
    assert result.multi_face_landmarks, "mediapipe finds the fixture's face"
    pts = np.array([[lm.x * w, lm.y * h] for lm in result.multi_face_landmarks[0].landmark[:468]])
    mask = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(pts).astype(np.int32)), 255)
    return mask


def laplacian_variance(image: Image.Image) -> float:
    import cv2

    gray = np.asarray(image.convert("L"), dtype=np.float64)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def rgb(path: Path) -> NDArray[np.uint8]:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))

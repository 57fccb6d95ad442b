"""Shared steps of the photo-tool tests: run a bundled recipe over HTTP, fetch its result, make
damaged and synthetic test photos, and the image-quality measures (PSNR, SSIM, IoU)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from conftest import FIXTURES, Api, media_record, wait_for_run

ASTRONAUT = FIXTURES / "astronaut.png"  # 512x512, one face
GRACE = FIXTURES / "grace_hopper.jpg"  # 512x600, one face
COFFEE = FIXTURES / "coffee.png"  # 600x400, a cup, no face
ROCKET = FIXTURES / "rocket.jpg"  # 640x427


async def upload(api: Api, path: Path) -> str:
    return str((await api.upload(None, path))["id"])


async def run_recipe(api: Api, recipe_id: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Run a bundled recipe the way a door does (execute at once) and wait for its end."""
    r = await api.post(f"/api/v2/recipes/{recipe_id}/run", json={"execute": True, "inputs": inputs})
    assert r.status_code == 200, r.text
    return await wait_for_run(api, r.json()["session_id"])


def result_node(run: dict[str, Any], node_id: str = "result") -> dict[str, Any]:
    state: dict[str, Any] = run["nodes"][node_id]
    return state


async def fetch_image(api: Api, media_id: str) -> Image.Image:
    import io

    r = await api.get(f"/api/v2/media/{media_id}/download")
    assert r.status_code == 200, r.text
    with Image.open(io.BytesIO(r.content)) as img:
        img.load()
        return img


async def metadata(api: Api, media_id: str) -> dict[str, Any]:
    meta: dict[str, Any] = (await media_record(api, media_id))["metadata"]
    return meta


def turned_head(path: Path, degrees: float) -> NDArray[np.uint8]:
    """The portrait with its head turned about a vertical axis by ``degrees``: the face is treated as a
    cylinder around the nose (x = r sin(angle)) and resampled, so the nose moves towards one eye."""
    import cv2

    from miniaistudio.runtimes.models.model_cache import ModelCache
    from miniaistudio.runtimes.models.vision import face_landmarks

    photo = rgb(path)
    h, w = photo.shape[:2]
    points = face_landmarks(photo, 1, cache=ModelCache(2**30))[0]
    nose = float(points[1, 0])
    radius = 1.15 * float(points[:, 0].max() - points[:, 0].min()) / 2
    xs = np.arange(w, dtype=np.float64)
    angle = np.arcsin(np.clip((xs - nose) / radius, -1, 1)) - np.radians(degrees)
    source = np.where(np.abs(xs - nose) < radius, nose + radius * np.sin(np.clip(angle, -np.pi / 2, np.pi / 2)), xs)
    map_x = np.tile(source.astype(np.float32), (h, 1))
    map_y = np.tile(np.arange(h, dtype=np.float32)[:, None], (1, w))
    turned: NDArray[np.uint8] = cv2.remap(photo, map_x, map_y, cv2.INTER_LINEAR)
    return turned


def rgb(path: Path) -> NDArray[np.uint8]:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def save(array: NDArray[np.uint8], path: Path) -> Path:
    Image.fromarray(array).save(path)
    return path


# -- quality measures ---------------------------------------------------------------------------

def psnr(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> float:
    mse = float(((a.astype(np.float64) - b.astype(np.float64)) ** 2).mean())
    return 10 * float(np.log10(255.0**2 / max(mse, 1e-9)))


def ssim(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> float:
    """Mean SSIM of the luminance (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5)."""
    import cv2

    x = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY).astype(np.float64)
    y = cv2.cvtColor(b, cv2.COLOR_RGB2GRAY).astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def g(v: NDArray[np.float64]) -> NDArray[np.float64]:
        out: NDArray[np.float64] = cv2.GaussianBlur(v, (11, 11), 1.5)
        return out

    mx, my = g(x), g(y)
    vx, vy, cov = g(x * x) - mx**2, g(y * y) - my**2, g(x * y) - mx * my
    return float((((2 * mx * my + c1) * (2 * cov + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))).mean())


def iou(a: NDArray[np.bool_], b: NDArray[np.bool_]) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


# -- test photos --------------------------------------------------------------------------------

def damaged(clean: NDArray[np.uint8], seed: int = 0) -> NDArray[np.uint8]:
    """An old print: faded (contrast 55 %, a yellow cast), 7 scratches (light and dark, 1-2 px),
    40 dust specks and grain (sigma 7)."""
    import cv2

    rng = np.random.default_rng(seed)
    faded = clean.astype(np.float32) * 0.55 + np.array([95, 80, 45], np.float32)
    out = np.clip(faded, 0, 255).astype(np.uint8).copy()
    h, w = out.shape[:2]
    for i in range(7):
        start = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        end = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        color = (235, 232, 220) if i % 3 else (35, 30, 25)
        cv2.line(out, start, end, color, int(rng.integers(1, 3)), cv2.LINE_AA)
    for _ in range(40):
        cv2.circle(out, (int(rng.integers(0, w)), int(rng.integers(0, h))), int(rng.integers(1, 3)),
                   (240, 238, 230), -1)
    grain = out.astype(np.float32) + rng.normal(0, 7, out.shape)
    return np.clip(grain, 0, 255).astype(np.uint8)


def synthetic_product(width: int = 480, height: int = 400) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """A bottle (body, shoulder, neck, cap) with a photographic label and side shading, standing on
    a plain light studio background; and its exact mask (the ground truth)."""
    import cv2

    ys = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    photo = (np.array([238, 238, 235], np.float32) - 14 * ys) * np.ones((height, width, 3), np.float32)
    mask = np.zeros((height, width), np.uint8)
    cx = width // 2
    cv2.rectangle(mask, (cx - 70, 150), (cx + 70, 320), 255, -1)  # body
    cv2.ellipse(mask, (cx, 150), (70, 45), 0, 180, 360, 255, -1)  # shoulder
    cv2.rectangle(mask, (cx - 22, 60), (cx + 22, 120), 255, -1)  # neck
    cv2.rectangle(mask, (cx - 26, 40), (cx + 26, 66), 255, -1)  # cap
    body = np.zeros((height, width, 3), np.float32)
    body[:] = (24, 92, 60)  # dark green glass
    xs = np.linspace(-1, 1, 140, dtype=np.float32)
    label = cv2.resize(rgb(ROCKET), (120, 110), interpolation=cv2.INTER_AREA).astype(np.float32)
    body[200:310, cx - 60:cx + 60] = label
    shade = np.ones((height, width), np.float32)
    shade[:, cx - 70:cx + 70] = 0.55 + 0.45 * np.cos(xs * 1.2)  # a cylinder lit from the front
    body *= shade[..., None]
    body[40:66, cx - 26:cx + 26] = (190, 160, 40)  # a gold cap
    inside = mask > 0
    photo[inside] = body[inside]
    return np.clip(photo + 0.5, 0, 255).astype(np.uint8), inside


def side_by_side(*paths: Path, height: int = 420) -> NDArray[np.uint8]:
    """Portraits resized to one height and put next to each other (a photo with several faces)."""
    parts = []
    for path in paths:
        with Image.open(path) as img:
            w = round(img.width * height / img.height)
            parts.append(np.asarray(img.convert("RGB").resize((w, height), Image.Resampling.LANCZOS)))
    return np.hstack(parts)

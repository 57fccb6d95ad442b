"""Pose Extractor and Background Removal on the shared photos, through the HTTP API."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cv_helpers import ASTRONAUT, CHELSEA, COFFEE, GRACE, fetch_image, metadata, rgb, run_graph, upload

from conftest import SHARED_MODELS_DIR, Api, edge, error_code, node, output
from miniaistudio.runtimes.models.vision_assets import place_u2netp


@pytest.fixture(scope="session")
def u2netp_placed() -> Path:
    """The set-up step's own code places u2netp.onnx in the shared test models folder (once)."""
    return place_u2netp(SHARED_MODELS_DIR)


async def test_pose_finds_shoulders_and_elbows_on_portraits(api: Api, tmp_path: Path) -> None:
    astro, grace, cup = await upload(api, ASTRONAUT), await upload(api, GRACE), await upload(api, COFFEE)
    nodes = [node("a", "upload.image", media_ids=[astro]), node("g", "upload.image", media_ids=[grace]),
             node("c", "upload.image", media_ids=[cup]),
             node("pa", "image.pose", min_visibility=0.0), node("pg", "image.pose", min_visibility=0.0,
                                                                  include_face=True),
             node("pc", "image.pose")]
    run = await run_graph(api, nodes, [edge("a", "image", "pa", "image"), edge("g", "image", "pg", "image"),
                                       edge("c", "image", "pc", "image")])
    # Rough regions of the person in each photo (x0, y0, x1, y1), read off the pictures.
    person_box = {"pa": (0, 0, 380, 512), "pg": (0, 0, 512, 600)}
    for nid, size in (("pa", (512, 512)), ("pg", (512, 600))):
        skeleton = await fetch_image(api, output(run, nid, "image")["media_id"], tmp_path)
        assert skeleton.size == size
        pixels = np.asarray(skeleton.convert("RGB"))
        assert 0.005 < (pixels.max(axis=2) > 0).mean() < 0.5  # coloured limbs on black
        doc = json.loads(output(run, nid, "keypoints"))
        assert (doc["canvas_width"], doc["canvas_height"]) == size
        marks = doc["people"][0]["landmarks"]
        x0, y0, x1, y1 = person_box[nid]
        nose = marks["nose"]
        for side in ("left", "right"):
            shoulder, elbow = marks[f"{side}_shoulder"], marks[f"{side}_elbow"]
            assert shoulder["visibility"] > 0.9
            assert x0 <= shoulder["x"] <= x1 and y0 <= shoulder["y"] <= y1
            assert shoulder["y"] > nose["y"] + 40  # shoulders below the face
            assert elbow["y"] > shoulder["y"] + 60  # elbows below the shoulders
            assert x0 - 60 <= elbow["x"] <= x1 + 60
        # OpenPose order: right shoulder (2) is on the image's left of the left shoulder (5).
        flat = doc["people"][0]["pose_keypoints_2d"]
        assert len(flat) == 18 * 3 and flat[2 * 3] < flat[5 * 3]
    # The astronaut's elbows are inside the photo; Grace Hopper's lie below its bottom edge.
    astro_marks = json.loads(output(run, "pa", "keypoints"))["people"][0]["landmarks"]
    assert all(astro_marks[f"{s}_elbow"]["y"] < 512 for s in ("left", "right"))
    faces = json.loads(output(run, "pg", "keypoints"))["people"][0]["faces"]
    assert len(faces) == 1 and len(faces[0]) == 478
    face_x = np.mean([p[0] for p in faces[0]])
    assert 200 < face_x < 340  # Grace Hopper's face is in the middle of the photo
    meta = await metadata(api, output(run, "pa", "image")["media_id"])
    assert meta["engine"] == "mediapipe-pose" and meta["ai_generated"] is True
    assert error_code(run, "pc") == "NO_POSE_FOUND"  # a coffee cup has no pose


async def test_background_removal_person_and_product(api: Api, tmp_path: Path, u2netp_placed: Path) -> None:
    astro, cup, cat = await upload(api, ASTRONAUT), await upload(api, COFFEE), await upload(api, CHELSEA)
    nodes = [node("a", "upload.image", media_ids=[astro]), node("c", "upload.image", media_ids=[cup]),
             node("k", "upload.image", media_ids=[cat]),
             node("person", "image.remove_background", engine="person"),
             node("color", "image.remove_background", engine="person", replace="color", color="#00ff00"),
             node("blur", "image.remove_background", engine="person", replace="blur"),
             node("swap", "image.remove_background", engine="person", replace="image"),
             node("product", "image.remove_background", engine="product"),
             node("nobg", "image.remove_background", engine="person", replace="image")]
    edges = [edge("a", "image", n, "image") for n in ("person", "color", "blur", "swap", "nobg")]
    edges += [edge("k", "image", "swap", "background"), edge("c", "image", "product", "image")]
    run = await run_graph(api, nodes, edges)

    mask = np.asarray((await fetch_image(api, output(run, "person", "mask")["media_id"], tmp_path)).convert("L"),
                      dtype=np.float32) / 255
    assert mask.shape == (512, 512)
    # Rough expected person region of the astronaut: head and torso (x 30..360, y 20..512) and
    # the helmet she holds (x 280..505, y 330..512), read off the photo.
    expected = np.zeros_like(mask, dtype=bool)
    expected[20:, 30:360] = True
    expected[330:, 280:505] = True
    got = mask > 0.5
    iou = (got & expected).sum() / (got | expected).sum()
    assert iou > 0.65, iou  # measured 0.72
    assert expected[got].mean() > 0.9  # the mask stays on the person (measured 0.97)
    assert mask[125, 224] > 0.9  # the face centre (found by face mesh at x 224, y 122)
    assert mask[40, 470] < 0.1 and mask[20, 20] < 0.5  # backdrop corners
    cutout = await fetch_image(api, output(run, "person", "image")["media_id"], tmp_path)
    assert cutout.mode == "RGBA" and cutout.size == (512, 512)
    alpha = np.asarray(cutout.getchannel("A"), dtype=np.float32) / 255
    assert np.abs(alpha - mask).mean() < 0.01

    color = np.asarray((await fetch_image(api, output(run, "color", "image")["media_id"], tmp_path)).convert("RGB"))
    assert tuple(color[40, 470]) == (0, 255, 0) and tuple(color[125, 224]) != (0, 255, 0)
    original = rgb(ASTRONAUT).astype(np.float32)
    blurred = np.asarray((await fetch_image(api, output(run, "blur", "image")["media_id"], tmp_path)).convert("RGB"),
                         dtype=np.float32)
    inside, outside = mask > 0.95, mask < 0.05
    assert np.abs(blurred - original)[inside].mean() < 3 < np.abs(blurred - original)[outside].mean()
    swapped = await fetch_image(api, output(run, "swap", "image")["media_id"], tmp_path)
    assert swapped.size == (512, 512)
    assert np.abs(np.asarray(swapped.convert("RGB"), dtype=np.float32) - original)[outside].mean() > 20
    assert error_code(run, "nobg") == "BACKGROUND_MISSING"

    product = np.asarray((await fetch_image(api, output(run, "product", "mask")["media_id"], tmp_path)).convert("L"),
                         dtype=np.float32) / 255
    assert product.shape == (400, 600)
    assert product[200, 300] > 0.9  # the cup in the middle
    assert product[:30, :30].mean() < 0.2 and product[-30:, -30:].mean() < 0.5
    meta = await metadata(api, output(run, "product", "image")["media_id"])
    assert meta["engine"] == "u2netp-onnx" and meta["ai_generated"] is True

"""Career headshots through the bundled recipe: the face re-detected in the output is centred,
level and sized within bounds; photos without exactly one face are refused with stable codes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from conftest import Api

from .photo_helpers import (
    ASTRONAUT,
    COFFEE,
    GRACE,
    fetch_image,
    metadata,
    result_node,
    run_recipe,
    save,
    side_by_side,
    turned_head,
    upload,
)


def face_points(rgb: NDArray[np.uint8]) -> list[NDArray[np.float64]]:
    """Face-mesh landmarks found by mediapipe directly (not through the studio)."""
    import mediapipe as mp

    h, w = rgb.shape[:2]
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=4, refine_landmarks=True) as mesh:
        result = mesh.process(rgb)
    return [np.array([[lm.x * w, lm.y * h] for lm in face.landmark]) for face in result.multi_face_landmarks or []]


async def test_headshot_is_framed_from_the_face(api: Api) -> None:
    cases = ((GRACE, "grey", (168, 170, 173), 800), (ASTRONAUT, "blue", (104, 140, 182), 560))
    for photo, backdrop, expected, min_height in cases:
        media = await upload(api, photo)
        run = await run_recipe(api, "career_photo", {"image": media, "backdrop": backdrop})
        assert run["status"] == "succeeded", run["error"]
        outputs = result_node(run)["outputs"]
        image = await fetch_image(api, outputs["image"]["media_id"])
        w, h = image.size
        assert abs(w / h - 4 / 5) < 0.01
        assert h >= min_height  # as tall as the source allows (at most 2x its own resolution)
        out = np.asarray(image.convert("RGB"))
        faces = face_points(out)
        assert len(faces) == 1, photo
        pts = faces[0]
        eyes = (pts[468] + pts[473]) / 2
        assert abs(eyes[0] / w - 0.5) < 0.03, (photo, eyes[0] / w)  # centred
        assert abs(eyes[1] / h - 0.40) < 0.03, (photo, eyes[1] / h)  # eyes at 40 % of the height
        assert abs(pts[468][1] - pts[473][1]) < 0.02 * h  # eyes level
        face_height = np.linalg.norm(pts[152] - pts[10]) / h
        assert 0.3 < face_height < 0.62, (photo, face_height)
        # The backdrop replaced the original background: the top corners are the backdrop's colours.
        corner = out[: h // 12, : w // 12].reshape(-1, 3).mean(axis=0)
        assert np.abs(corner - np.array(expected)).max() < 60, (photo, corner)
        mask = np.asarray(await fetch_image(api, outputs["mask"]["media_id"]), dtype=np.float32) / 255
        assert mask[int(eyes[1]), int(eyes[0])] > 0.9 and mask[: h // 12, : w // 12].mean() < 0.1
        meta = await metadata(api, outputs["image"]["media_id"])
        assert meta["engine"] == "classical-headshot" and meta["ai_generated"] is False
        assert meta["framing"]["width"] == w and meta["framing"]["height"] == h


async def test_photos_without_one_front_facing_face_are_refused(api: Api, tmp_path: Path) -> None:
    two = await upload(api, save(side_by_side(GRACE, ASTRONAUT), tmp_path / "two.png"))
    turned = await upload(api, save(turned_head(GRACE, 45), tmp_path / "turned.png"))  # nose near one eye
    cases = {await upload(api, COFFEE): "NO_FACE_FOUND", two: "MULTIPLE_FACES", turned: "FACE_NOT_FRONTAL"}
    for media, code in cases.items():
        run = await run_recipe(api, "career_photo", {"image": media})
        assert run["status"] == "failed"
        error = result_node(run)["error"]
        assert error["code"] == code, error
        assert "face" in error["message"]

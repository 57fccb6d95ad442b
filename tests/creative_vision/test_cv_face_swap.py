"""Face Swap on two real portraits, and Video Face Swap on a clip made from a portrait."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from cv_helpers import (
    ASTRONAUT,
    GRACE,
    fetch,
    fetch_image,
    frame_at,
    metadata,
    portrait_clip,
    rgb,
    run_graph,
    upload,
    video_facts,
)

from conftest import Api, edge, error_code, node, output


async def test_face_swap_changes_the_face_and_keeps_the_rest(api: Api, tmp_path: Path) -> None:
    import cv2

    grace, astro, cup = await upload(api, GRACE), await upload(api, ASTRONAUT), await upload(api, GRACE.parent /
                                                                                                "coffee.png")
    nodes = [node("src", "upload.image", media_ids=[grace]), node("dst", "upload.image", media_ids=[astro]),
             node("cup", "upload.image", media_ids=[cup]),
             node("swap", "image.face_swap"),
             node("far", "image.face_swap", target_face_index=1),
             node("noface", "image.face_swap")]
    edges = [edge("src", "image", "swap", "source"), edge("dst", "image", "swap", "target"),
             edge("src", "image", "far", "source"), edge("dst", "image", "far", "target"),
             edge("src", "image", "noface", "source"), edge("cup", "image", "noface", "target")]
    run = await run_graph(api, nodes, edges)
    swapped = np.asarray((await fetch_image(api, output(run, "swap", "image")["media_id"], tmp_path)).convert("RGB"),
                         dtype=np.float32)
    target = rgb(ASTRONAUT)
    assert swapped.shape == target.shape

    from cv_helpers import face_hull_mask

    face = face_hull_mask(target)
    dilated = cv2.dilate(face, np.ones((25, 25), np.uint8)) > 0
    inner = cv2.erode(face, np.ones((15, 15), np.uint8)) > 0
    diff = np.abs(swapped - target.astype(np.float32)).mean(axis=2)
    outside, inside = float(diff[~dilated].mean()), float(diff[inner].mean())
    assert outside < 0.5, outside  # the rest of the picture is untouched
    assert inside > 12, inside  # the face is another person's
    meta = await metadata(api, output(run, "swap", "image")["media_id"])
    assert meta["ai_generated"] is True and meta["engine"] == "mediapipe-facemesh+opencv"
    assert error_code(run, "far") == "FACE_INDEX_OUT_OF_RANGE"  # one face in the photo
    assert error_code(run, "noface") == "NO_FACE_FOUND"


async def test_video_face_swaps_keep_duration_frames_and_audio(api: Api, tmp_path: Path) -> None:
    clip = portrait_clip(tmp_path, ASTRONAUT, seconds=2.0, size=384)
    src_duration, src_frames, src_audio, size = video_facts(clip)
    assert src_audio and size == (384, 384)
    grace, video = await upload(api, GRACE), await upload(api, clip)
    nodes = [node("src", "upload.image", media_ids=[grace]), node("v", "upload.video", media_ids=[video]),
             node("plain", "video.face_swap", smoothing=0.6),
             node("precise", "video.face_swap_precise", feather=0.08, erosion=0.03, preserve_mouth=True,
                  color_strength=0.7, blend=0.9)]
    edges = [edge("src", "image", n, "source") for n in ("plain", "precise")]
    edges += [edge("v", "video", n, "video") for n in ("plain", "precise")]
    run = await run_graph(api, nodes, edges)
    original = frame_at(clip, 1.0, tmp_path)
    inside, outside = face_regions(original)
    for nid in ("plain", "precise"):
        path = await fetch(api, output(run, nid, "video")["media_id"], tmp_path)
        dur, frames, has_audio, out_size = video_facts(path)
        assert abs(dur - src_duration) <= 0.1, (nid, dur, src_duration)
        assert frames == src_frames and has_audio and out_size == size
        diff = np.abs(frame_at(path, 1.0, tmp_path) - original).mean(axis=2)
        # the face changed; elsewhere only re-encoding differences remain
        assert diff[inside].mean() > 10 and diff[outside].mean() < 2.5, (nid, diff[inside].mean(),
                                                                          diff[outside].mean())
        meta = await metadata(api, output(run, nid, "video")["media_id"])
        assert meta["ai_generated"] is True and meta["engine"] == "mediapipe-facemesh+opencv"
        assert meta["frames_swapped"] == frames


def face_regions(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(inside the face hull, outside the dilated hull) of a video frame."""
    import cv2
    from cv_helpers import face_hull_mask

    mask = face_hull_mask(np.ascontiguousarray(frame.astype(np.uint8)))
    return cv2.erode(mask, np.ones((9, 9), np.uint8)) > 0, cv2.dilate(mask, np.ones((21, 21), np.uint8)) == 0

"""Product Mockup through the HTTP API: logos land where the layers say, follow the shading, keep alpha."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from ad_helpers import FOLD_ROWS, PRODUCT_SIZE, fetch, logo_image, metadata, run_graph, shirt_image, upload
from numpy.typing import NDArray
from PIL import Image

from conftest import Api, edge, error_code, node, output

BASE_LOGO_WIDTH = 0.25  # the documented width of a logo at scale 1, as a share of the product's width


def expected_sprite(logo: Path, scale: float, rotation: float) -> Image.Image:
    """The logo as the layer asks for it, made here with Pillow from the documented rules."""
    with Image.open(logo) as img:
        rgba = img.convert("RGBA")
    width = round(PRODUCT_SIZE[0] * BASE_LOGO_WIDTH * scale)
    sized = rgba.resize((width, round(rgba.height * width / rgba.width)), Image.Resampling.LANCZOS)
    return sized.rotate(-rotation, resample=Image.Resampling.BICUBIC, expand=True) if rotation else sized


def best_match(image: NDArray[np.uint8], sprite: Image.Image) -> tuple[tuple[int, int], float]:
    """Top-left corner and score of the best match of the sprite's opaque pixels (normalized cross-correlation)."""
    arr = np.asarray(sprite, dtype=np.float32)
    template, mask = arr[:, :, :3], (arr[:, :, 3:] > 128).astype(np.float32).repeat(3, axis=2)
    scores = cv2.matchTemplate(image.astype(np.float32), template, cv2.TM_CCORR_NORMED, mask=mask)
    _, score, _, loc = cv2.minMaxLoc(scores)
    return (int(loc[0]), int(loc[1])), float(score)


def expected_corner(sprite: Image.Image, x: float, y: float) -> tuple[float, float]:
    w, h = PRODUCT_SIZE
    return x / 100 * w - sprite.width / 2, y / 100 * h - sprite.height / 2


async def test_logos_land_where_the_layers_say(api: Api, tmp_path: Path) -> None:
    shirt, logo = shirt_image(tmp_path / "shirt.png"), logo_image(tmp_path / "logo.png")
    shirt_id, logo_id = await upload(api, shirt), await upload(api, logo)
    layers = [{"asset_id": logo_id, "x": 50, "y": 30, "scale": 1, "rotation": 0},
              {"asset_id": logo_id, "x": 28, "y": 72, "scale": 0.6, "rotation": 30}]
    nodes = [node("p", "upload.image", media_ids=[shirt_id]),
             node("m", "image.mockup_composite", logo_media_ids=[logo_id], layers=layers,
                  instruction="Place the logo on the front of the t-shirt"),
             node("l", "upload.image", media_ids=[logo_id]),
             node("s", "image.mockup_composite", layers=[{"x": 60, "y": 55, "scale": 1.4, "rotation": -90}])]
    edges = [edge("p", "image", "m", "product"), edge("p", "image", "s", "product"), edge("l", "image", "s", "logo")]
    run = await run_graph(api, nodes, edges)

    image = np.asarray(Image.open(await fetch(api, output(run, "m", "image")["media_id"], tmp_path)).convert("RGB"))
    assert image.shape == (PRODUCT_SIZE[1], PRODUCT_SIZE[0], 3)
    for layer in layers:
        sprite = expected_sprite(logo, float(layer["scale"]), float(layer["rotation"]))
        (found_x, found_y), score = best_match(image, sprite)
        want_x, want_y = expected_corner(sprite, float(layer["x"]), float(layer["y"]))
        assert abs(found_x - want_x) <= 3 and abs(found_y - want_y) <= 3, (layer, (found_x, found_y))
        assert score > 0.95, score
    # Rotation and scale are honoured: the unrotated or full-size logo matches the second spot worse.
    second = layers[1]
    _, right = best_match(image, expected_sprite(logo, 0.6, 30))
    _, unrotated = best_match(image, expected_sprite(logo, 0.6, 0))
    _, unscaled = best_match(image, expected_sprite(logo, 1.0, 30))
    assert right > unrotated + 0.02 and right > unscaled + 0.02, (right, unrotated, unscaled, second)

    # The logo linked on the socket, with a layer naming no asset, rotated a quarter turn.
    socket_image = np.asarray(Image.open(await fetch(api, output(run, "s", "image")["media_id"], tmp_path))
                              .convert("RGB"))
    sprite = expected_sprite(logo, 1.4, -90)
    (found_x, found_y), score = best_match(socket_image, sprite)
    want_x, want_y = expected_corner(sprite, 60, 55)
    assert abs(found_x - want_x) <= 3 and abs(found_y - want_y) <= 3 and score > 0.95

    mask = np.asarray(Image.open(await fetch(api, output(run, "m", "mask")["media_id"], tmp_path)).convert("L"))
    assert mask.shape == image.shape[:2]
    meta = await metadata(api, output(run, "m", "image")["media_id"])
    assert meta["engine"] == "mockup-compositor" and meta["ai_generated"] is False
    assert meta["instruction"] == "Place the logo on the front of the t-shirt"


async def test_blend_follows_the_fold_and_keeps_transparency(api: Api, tmp_path: Path) -> None:
    shirt, logo = shirt_image(tmp_path / "shirt.png"), logo_image(tmp_path / "logo.png")
    shirt_id, logo_id = await upload(api, shirt), await upload(api, logo)
    # A large logo across the fold: centre at 28 % of the height (168 px), 200 px tall at scale 2.5.
    layer = {"asset_id": logo_id, "x": 50, "y": 28, "scale": 2.5, "rotation": 0}
    run = await run_graph(api, [node("p", "upload.image", media_ids=[shirt_id]),
                                node("m", "image.mockup_composite", logo_media_ids=[logo_id], layers=[layer])],
                          [edge("p", "image", "m", "product")])
    out = np.asarray(Image.open(await fetch(api, output(run, "m", "image")["media_id"], tmp_path)).convert("RGB"),
                     dtype=np.float32)
    plain = np.asarray(Image.open(shirt).convert("RGB"), dtype=np.float32)
    sprite = np.asarray(expected_sprite(logo, 2.5, 0), dtype=np.float32)
    left, top = (round(c) for c in expected_corner(expected_sprite(logo, 2.5, 0), 50, 28))
    red = (sprite[:, :, 3] > 250) & (sprite[:, :, 0] > 200) & (sprite[:, :, 1] < 60)
    rows = np.arange(sprite.shape[0])[:, None] + top
    in_fold = red & (rows >= FOLD_ROWS[0] + 3) & (rows < FOLD_ROWS[1] - 3)
    lit = red & ((rows < FOLD_ROWS[0] - 8) | (rows >= FOLD_ROWS[1] + 8))
    assert in_fold.sum() > 200 and lit.sum() > 1000
    region = out[top:top + sprite.shape[0], left:left + sprite.shape[1]]
    fold_red, lit_red = region[in_fold][:, 0].mean(), region[lit][:, 0].mean()
    # The fold darkens the shirt to 55 %: the ink darkens with it (a pasted sticker would not).
    assert 0.45 < fold_red / lit_red < 0.7, (fold_red, lit_red)
    # Transparent parts of the logo leave the shirt as it was.
    clear = sprite[:, :, 3] == 0
    assert np.abs(region[clear] - plain[top:top + sprite.shape[0], left:left + sprite.shape[1]][clear]).max() <= 2
    # Outside the logo nothing changed.
    outside = np.ones(out.shape[:2], bool)
    outside[top:top + sprite.shape[0], left:left + sprite.shape[1]] = False
    assert np.abs(out - plain)[outside].max() == 0


async def test_mockup_refusals(api: Api, tmp_path: Path) -> None:
    from conftest import ffmpeg_media

    shirt_id = await upload(api, shirt_image(tmp_path / "shirt.png"))
    clip_id = await upload(api, ffmpeg_media(tmp_path, "clip.mp4", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=5",
                                             "-t", "1", "-pix_fmt", "yuv420p"))
    nodes = [node("p", "upload.image", media_ids=[shirt_id]), node("none", "image.mockup_composite"),
             node("video", "image.mockup_composite", logo_media_ids=[clip_id]),
             node("other", "image.mockup_composite", logo_media_ids=["not-a-media-id"])]
    run = await run_graph(api, nodes, [edge("p", "image", n, "product") for n in ("none", "video", "other")])
    assert error_code(run, "none") == "NO_LOGO"
    assert error_code(run, "video") == "WRONG_MEDIA_KIND"
    assert run["nodes"]["other"]["status"] == "failed"
    session = await api.new_session()
    bad = {"nodes": [node("p", "upload.image", media_ids=[shirt_id]),
                     node("m", "image.mockup_composite", logo_media_ids=[shirt_id], layers=[{"x": 50, "scale": 0}])],
           "edges": [edge("p", "image", "m", "product")]}
    r = await api.put(f"/api/v2/sessions/{session['id']}/flow", json={"graph": bad, "version": session["version"]})
    if r.status_code == 200:  # saving tolerates parameters being edited; the run refuses them
        r = await api.post("/api/v2/session/execute", session=session["id"], json={"mode": "full"})
    assert r.status_code == 422 and r.json()["code"] == "GRAPH_INVALID", r.text
    assert r.json()["details"]["errors"][0]["code"] == "INVALID_PARAMETER" and "scale" in r.text

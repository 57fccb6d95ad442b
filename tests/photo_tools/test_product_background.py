"""Product backgrounds through the bundled recipe: the cut-out matches a known product mask
(IoU), the product keeps its pixels, the background is the one asked for, with a contact shadow
under the product's base."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from conftest import Api

from .photo_helpers import (
    COFFEE,
    fetch_image,
    iou,
    metadata,
    result_node,
    run_recipe,
    save,
    synthetic_product,
    upload,
)


async def test_product_on_white_and_colour_with_a_contact_shadow(api: Api, tmp_path: Path,
                                                                  u2netp_placed: Path) -> None:
    photo, truth = synthetic_product()
    media = await upload(api, save(photo, tmp_path / "bottle.png"))
    ys, xs = np.nonzero(truth)
    bottom, cx = int(ys.max()), int(xs.mean())
    for background, color, expected in (("white", "#ffffff", (255, 255, 255)),
                                        ("color", "#3366cc", (0x33, 0x66, 0xCC))):
        run = await run_recipe(api, "product_background", {"image": media, "background": background,
                                                           "color": color})
        assert run["status"] == "succeeded", run["error"]
        outputs = result_node(run)["outputs"]
        mask = np.asarray((await fetch_image(api, outputs["mask"]["media_id"])).convert("L"), np.float32) / 255
        assert iou(mask > 0.5, truth) > 0.93, iou(mask > 0.5, truth)  # measured 0.99
        out = np.asarray((await fetch_image(api, outputs["image"]["media_id"])).convert("RGB"), np.int32)
        assert out.shape == photo.shape
        core = truth & (mask > 0.98)
        assert np.abs(out[core] - photo[core]).mean() < 2  # the product keeps its pixels
        # Far from the product the background is exactly the colour asked for.
        assert (np.abs(out[:40, :40] - np.array(expected)).max()) <= 1
        # A soft contact shadow: darker just under the base than beside it, and fading out.
        under = out[bottom + 3:bottom + 8, cx - 30:cx + 30].mean(axis=(0, 1))
        aside = out[bottom + 3:bottom + 8, 10:40].mean(axis=(0, 1))
        assert (aside - under).mean() > 20, (under, aside)
        assert np.abs(out[bottom + 40:bottom + 45, cx] - np.array(expected)).max() <= 6
        meta = await metadata(api, outputs["image"]["media_id"])
        assert meta["engine"] == "classical-product-backdrop" and meta["ai_generated"] is False
        assert meta["background"] == background
    cutout_meta = await metadata(api, result_node(run, "cutout")["outputs"]["mask"]["media_id"])
    assert cutout_meta["engine"] == "u2netp-onnx"


async def test_gradient_and_blur_backgrounds(api: Api, u2netp_placed: Path) -> None:
    media = await upload(api, COFFEE)
    run = await run_recipe(api, "product_background", {"image": media, "background": "gradient",
                                                       "color": "#ffffff"})
    assert run["status"] == "succeeded", run["error"]
    out = np.asarray((await fetch_image(api, result_node(run)["outputs"]["image"]["media_id"])).convert("RGB"),
                     np.int32)
    top, low = out[2, :40].mean(axis=0), out[-3, :40].mean(axis=0)
    assert top.min() >= 250 and (top - low).min() > 25  # white at the top, grey at the bottom

    run = await run_recipe(api, "product_background", {"image": media, "background": "blur"})
    assert run["status"] == "succeeded", run["error"]
    outputs = result_node(run)["outputs"]
    blurred = np.asarray((await fetch_image(api, outputs["image"]["media_id"])).convert("RGB"), np.float32)
    mask = np.asarray((await fetch_image(api, outputs["mask"]["media_id"])).convert("L"), np.float32) / 255
    import cv2

    from .photo_helpers import rgb

    original = rgb(COFFEE).astype(np.float32)

    def detail(img: np.ndarray) -> float:  # type: ignore[type-arg]
        gray = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_RGB2GRAY).astype(np.float64)
        return float(np.abs(cv2.Laplacian(gray, cv2.CV_64F))[mask < 0.05].mean())

    assert detail(blurred) < 0.5 * detail(original)  # the background lost its detail
    inside = mask > 0.98
    assert np.abs(blurred - original)[inside].mean() < 2  # the cup did not


async def test_scene_without_an_image_model_fails_with_model_missing(api: Api, tmp_path: Path,
                                                                    u2netp_placed: Path) -> None:
    photo, _ = synthetic_product()
    media = await upload(api, save(photo, tmp_path / "bottle.png"))
    run = await run_recipe(api, "product_background", {"image": media, "background": "scene"})
    assert run["status"] == "failed"
    error = result_node(run)["error"]
    assert error["code"] == "MODEL_NOT_INSTALLED", error
    assert "miniaistudio models" in error["message"]
    assert result_node(run)["outputs"] in (None, {})  # no fake output
